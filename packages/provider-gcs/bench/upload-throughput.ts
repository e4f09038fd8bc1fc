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
import { compareUploads, deterministicBytes, type UploadComparison } from '@backup/test-emulators/upload-comparison';
import { GcsProvider, createStorage } from '../src/index.ts';
import { uploadStreamOptions } from '../src/resumable-upload.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;
const BUCKET = 'bench';

export type UploadBenchmark = UploadComparison;

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

    const result = await compareUploads({ bytes: opts.bytes, rounds: ROUNDS, viaProvider, viaBare });
    await provider.delete('chunk');
    await bare.delete({ ignoreNotFound: true });
    await provider.close();
    return result;
  } finally {
    await emulator.stop();
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
