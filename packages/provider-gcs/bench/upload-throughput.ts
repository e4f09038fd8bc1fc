// How much the provider costs over a bare resumable upload of the SDK. Both
// upload the same deterministic bytes to the same fake-gcs-server with the
// same createWriteStream options (chunk size, CRC32C, content type) and
// client settings, alternating (and swapping who goes first), best of 3.
//
//   node --conditions=@backup/source packages/provider-gcs/bench/upload-throughput.ts [MiB]
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createFakeGcsBucket, startFakeGcs } from '@backup/test-emulators/fake-gcs';
import { GcsProvider, createStorage } from '../src/index.ts';
import { uploadStreamOptions } from '../src/resumable-upload.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;
const BUCKET = 'bench';

export interface UploadBenchmark {
  /** Best throughput of `GcsProvider.write`, in MiB/s. */
  readonly providerMiBps: number;
  /** Best throughput of a bare `file.createWriteStream` upload, in MiB/s. */
  readonly bareMiBps: number;
  /** providerMiBps / bareMiBps; 1 means the provider costs nothing. */
  readonly ratio: number;
}

/** Uploads `bytes` bytes both ways against a fresh fake-gcs-server and returns the best of 3 for each. */
export async function benchmarkGcsUpload(opts: { bytes: number }): Promise<UploadBenchmark> {
  const emulator = await startFakeGcs();
  try {
    await createFakeGcsBucket(emulator, BUCKET);
    const connection = { apiEndpoint: emulator.endpoint, useAuth: false, projectId: emulator.projectId };
    const provider = new GcsProvider({ bucket: BUCKET, path: 'provider', ...connection });
    const chunkSize = provider.capabilities.multipart?.partSize ?? 0;
    // The same client settings the provider gives its own client.
    const bare = createStorage(connection).bucket(BUCKET).file('bare/chunk');

    const viaProvider = () => provider.write('chunk', deterministicBytes(opts.bytes));
    const viaBare = () => pipeline(Readable.from(deterministicBytes(opts.bytes)), bare.createWriteStream(uploadStreamOptions(chunkSize)));

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
    await bare.delete({ ignoreNotFound: true });
    await provider.close();
    return { providerMiBps: providerBest, bareMiBps: bareBest, ratio: providerBest / bareBest };
  } finally {
    await emulator.stop();
  }
}

async function throughput(bytes: number, upload: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await upload();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return bytes / MiB / seconds;
}

/** The same bytes every time: 1 MiB pieces cut from a fixed pool at shifting offsets. */
function* deterministicBytes(total: number): Generator<Buffer> {
  const pool = Buffer.alloc(2 * MiB);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 2654435761) >>> 24;
  for (let offset = 0, step = 0; offset < total; step++) {
    const size = Math.min(MiB, total - offset);
    const start = (step * 4099) % MiB;
    yield pool.subarray(start, start + size);
    offset += size;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const mib = Number(process.argv[2] ?? 64);
  const result = await benchmarkGcsUpload({ bytes: mib * MiB });
  console.log(
    `gcs upload of ${mib} MiB to fake-gcs-server (best of ${ROUNDS}): provider ${result.providerMiBps.toFixed(1)} MiB/s, ` +
      `bare SDK ${result.bareMiBps.toFixed(1)} MiB/s, ratio ${result.ratio.toFixed(2)} (target >= 0.9)`,
  );
}
