// How much the provider costs over a bare lib-storage Upload. Both upload the
// same deterministic bytes to the same MinIO with the same part size, queue
// size and client settings, alternating (and swapping who goes first), best of 3.
//
//   node --conditions=@backup/source packages/provider-s3/bench/upload-throughput.ts [MiB]
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startMinio } from '@backup/test-emulators/minio';
import { S3Provider } from '../src/index.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;
const BUCKET = 'bench';

export interface UploadBenchmark {
  /** Best throughput of `S3Provider.write`, in MiB/s. */
  readonly providerMiBps: number;
  /** Best throughput of a bare lib-storage `Upload`, in MiB/s. */
  readonly bareMiBps: number;
  /** providerMiBps / bareMiBps; 1 means the provider costs nothing. */
  readonly ratio: number;
}

/** Uploads `bytes` bytes both ways against a fresh MinIO and returns the best of 3 for each. */
export async function benchmarkS3Upload(opts: { bytes: number }): Promise<UploadBenchmark> {
  const minio = await startMinio();
  const url = new URL(minio.endpoint);
  const credentials = { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
  const provider = new S3Provider({
    bucket: BUCKET,
    path: 'provider',
    endpoint: url.host,
    useSSL: url.protocol === 'https:',
    region: minio.region,
    credentials,
  });
  const { partSize, queueSize } = provider.options;
  // The same settings the provider gives its own client.
  const bare = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    await bare.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((error: unknown) => {
      if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
    });
    const viaProvider = () => provider.write('chunk', deterministicBytes(opts.bytes));
    const viaBare = () =>
      new Upload({
        client: bare,
        params: { Bucket: BUCKET, Key: 'bare/chunk', Body: Readable.from(deterministicBytes(opts.bytes)) },
        partSize,
        queueSize,
      }).done();

    let providerBest = 0;
    let bareBest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const measureProvider = async () => (providerBest = Math.max(providerBest, await throughput(opts.bytes, viaProvider)));
      const measureBare = async () => (bareBest = Math.max(bareBest, await throughput(opts.bytes, viaBare)));
      if (round % 2 === 0) {
        await measureProvider();
        await measureBare();
      } else {
        await measureBare();
        await measureProvider();
      }
    }
    await provider.delete('chunk');
    await bare.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'bare/chunk' }));
    return { providerMiBps: providerBest, bareMiBps: bareBest, ratio: providerBest / bareBest };
  } finally {
    await provider.close();
    bare.destroy();
    await minio.stop();
  }
}

async function throughput(bytes: number, upload: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await upload();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return bytes / MiB / seconds;
}

/** The same bytes every time, produced in 1 MiB chunks so memory stays flat. */
async function* deterministicBytes(total: number): AsyncGenerator<Buffer> {
  const pool = Buffer.alloc(MiB + 251);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 2_654_435_761) >>> 24;
  for (let sent = 0, step = 0; sent < total; step++) {
    const length = Math.min(MiB, total - sent);
    const offset = step % 251;
    // A copy, as a real producer (tar, gzip) hands over fresh buffers.
    yield Buffer.from(pool.subarray(offset, offset + length));
    sent += length;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mebibytes = Number(process.argv[2] ?? 256);
  const result = await benchmarkS3Upload({ bytes: mebibytes * MiB });
  console.log(
    `s3 upload of ${mebibytes} MiB to MinIO (part 8 MiB × 4), best of ${ROUNDS}: ` +
      `provider ${result.providerMiBps.toFixed(1)} MiB/s, bare lib-storage Upload ${result.bareMiBps.toFixed(1)} MiB/s, ` +
      `ratio ${result.ratio.toFixed(3)} (target ≥ 0.9)`,
  );
}
