// How much the provider costs over a bare @azure/storage-blob upload.
// Both upload the same deterministic bytes to the same Azurite with the same
// block size and concurrency, alternating, best of 3 each.
//
//   node --conditions=@backup/source packages/provider-azure/bench/upload-throughput.ts [MiB]
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '@backup/test-emulators/azurite';
import { AzureProvider, DEFAULT_BLOCK_SIZE, DEFAULT_UPLOAD_CONCURRENCY } from '../src/index.ts';

const MiB = 1024 * 1024;
const ROUNDS = 3;

export interface UploadBenchmark {
  /** Best throughput of `AzureProvider.write`, in MiB/s. */
  readonly providerMiBps: number;
  /** Best throughput of a bare `BlockBlobClient.uploadStream`, in MiB/s. */
  readonly bareMiBps: number;
  /** providerMiBps / bareMiBps; 1 means the provider costs nothing. */
  readonly ratio: number;
}

/** Uploads `bytes` bytes both ways against a fresh Azurite and returns the best of 3 for each. */
export async function benchmarkAzureUpload(opts: { bytes: number }): Promise<UploadBenchmark> {
  const azurite = await startAzurite();
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bench');
    await container.createIfNotExists();
    const provider = new AzureProvider({ connectionString: azurite.connectionString, container: 'bench', path: 'provider' });
    const bare = container.getBlockBlobClient('bare/chunk');

    let providerBest = 0;
    let bareBest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      providerBest = Math.max(providerBest, await throughput(opts.bytes, () => provider.write('chunk', deterministicBytes(opts.bytes))));
      bareBest = Math.max(
        bareBest,
        await throughput(opts.bytes, () =>
          bare.uploadStream(Readable.from(deterministicBytes(opts.bytes)), DEFAULT_BLOCK_SIZE, DEFAULT_UPLOAD_CONCURRENCY),
        ),
      );
    }
    await provider.close();
    return { providerMiBps: providerBest, bareMiBps: bareBest, ratio: providerBest / bareBest };
  } finally {
    await azurite.stop();
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
  const result = await benchmarkAzureUpload({ bytes: mebibytes * MiB });
  console.log(
    `azure upload of ${mebibytes} MiB to Azurite (block ${DEFAULT_BLOCK_SIZE / MiB} MiB × ${DEFAULT_UPLOAD_CONCURRENCY}), best of ${ROUNDS}: ` +
      `provider ${result.providerMiBps.toFixed(1)} MiB/s, bare uploadStream ${result.bareMiBps.toFixed(1)} MiB/s, ` +
      `ratio ${result.ratio.toFixed(3)} (target ≥ 0.9)`,
  );
}
