// How much the provider costs over a bare @azure/storage-blob upload.
// Both upload the same deterministic bytes to the same Azurite with the same
// block size and concurrency, alternating (and swapping who goes first), best of 3.
//
//   node --conditions=@backup/source packages/provider-azure/bench/upload-throughput.ts [MiB]
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '@backup/test-emulators/azurite';
import { compareUploads, deterministicBytes, type UploadComparison } from '@backup/test-emulators/upload-comparison';
import { AzureProvider, DEFAULT_BLOCK_SIZE, DEFAULT_UPLOAD_CONCURRENCY } from '../src/index.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;

export type UploadBenchmark = UploadComparison;

/** Uploads `bytes` bytes both ways against a fresh Azurite and returns the best of 3 for each. */
export async function benchmarkAzureUpload(opts: { bytes: number }): Promise<UploadBenchmark> {
  const azurite = await startAzurite();
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bench');
    await container.createIfNotExists();
    const provider = new AzureProvider({ connectionString: azurite.connectionString, container: 'bench', path: 'provider' });
    const bare = container.getBlockBlobClient('bare/chunk');

    const result = await compareUploads({
      bytes: opts.bytes,
      rounds: ROUNDS,
      viaProvider: () => provider.write('chunk', deterministicBytes(opts.bytes)),
      viaBare: () => bare.uploadStream(Readable.from(deterministicBytes(opts.bytes)), DEFAULT_BLOCK_SIZE, DEFAULT_UPLOAD_CONCURRENCY),
    });
    await provider.close();
    return result;
  } finally {
    await azurite.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mebibytes = Number(process.argv[2] ?? 256);
  const result = await benchmarkAzureUpload({ bytes: mebibytes * MiB });
  console.log(
    `azure upload of ${mebibytes} MiB to Azurite (block ${DEFAULT_BLOCK_SIZE / MiB} MiB × ${DEFAULT_UPLOAD_CONCURRENCY}), best of ${ROUNDS}: ` +
      `provider ${result.providerMiBps.toFixed(1)} MiB/s, bare uploadStream ${result.bareMiBps.toFixed(1)} MiB/s, ` +
      `ratio ${result.ratio.toFixed(3)} (target ≥ 0.9)`,
  );
}
