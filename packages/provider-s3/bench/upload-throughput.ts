// How much the provider costs over a bare lib-storage Upload. Both upload the
// same deterministic bytes to the same MinIO with the same part size, queue
// size and client settings, alternating (and swapping who goes first), best of 3.
//
//   node --conditions=@backup/source packages/provider-s3/bench/upload-throughput.ts [MiB]
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createMinioBuckets, startMinio } from '@backup/test-emulators/minio';
import { compareUploads, deterministicBytes, type UploadComparison } from '@backup/test-emulators/upload-comparison';
import { S3Provider } from '../src/index.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;
const BUCKET = 'bench';

export type UploadBenchmark = UploadComparison;

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
    await createMinioBuckets(minio, BUCKET);
    const viaProvider = () => provider.write('chunk', deterministicBytes(opts.bytes));
    const viaBare = () =>
      new Upload({
        client: bare,
        params: { Bucket: BUCKET, Key: 'bare/chunk', Body: Readable.from(deterministicBytes(opts.bytes)) },
        partSize,
        queueSize,
      }).done();

    const result = await compareUploads({ bytes: opts.bytes, rounds: ROUNDS, viaProvider, viaBare });
    await provider.delete('chunk');
    await bare.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'bare/chunk' }));
    return result;
  } finally {
    await provider.close();
    bare.destroy();
    await minio.stop();
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
