// Shared by the providers' upload benchmarks: the provider against its bare
// SDK, same bytes, same emulator, alternating who goes first, best of N.

const MiB = 1024 * 1024;

export interface UploadComparison {
  /** Best throughput through the provider, in MiB/s. */
  readonly providerMiBps: number;
  /** Best throughput through the bare SDK call, in MiB/s. */
  readonly bareMiBps: number;
  /** providerMiBps / bareMiBps; 1 means the provider costs nothing. */
  readonly ratio: number;
}

export interface CompareUploadsOptions {
  /** Bytes each upload sends. */
  readonly bytes: number;
  /** Rounds of both uploads (default 3); the best of each counts. */
  readonly rounds?: number;
  readonly viaProvider: () => Promise<unknown>;
  readonly viaBare: () => Promise<unknown>;
}

/**
 * Runs both uploads `rounds` times, swapping which goes first each round so
 * neither always meets a warm (or busy) emulator, and keeps the best of each.
 */
export async function compareUploads(options: CompareUploadsOptions): Promise<UploadComparison> {
  let providerBest = 0;
  let bareBest = 0;
  const measureProvider = async () => (providerBest = Math.max(providerBest, await throughput(options.bytes, options.viaProvider)));
  const measureBare = async () => (bareBest = Math.max(bareBest, await throughput(options.bytes, options.viaBare)));
  for (let round = 0; round < (options.rounds ?? 3); round++) {
    if (round % 2 === 0) {
      await measureProvider();
      await measureBare();
    } else {
      await measureBare();
      await measureProvider();
    }
  }
  return { providerMiBps: providerBest, bareMiBps: bareBest, ratio: providerBest / bareBest };
}

async function throughput(bytes: number, upload: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await upload();
  return bytes / MiB / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * The same `total` bytes every time, in fresh 1 MiB buffers (as a real
 * producer such as tar or gzip hands over), so memory stays flat.
 */
export function* deterministicBytes(total: number): Generator<Buffer> {
  const pool = Buffer.alloc(MiB + 251);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 2_654_435_761) >>> 24;
  for (let sent = 0, step = 0; sent < total; step++) {
    const length = Math.min(MiB, total - sent);
    const offset = step % 251;
    yield Buffer.from(pool.subarray(offset, offset + length));
    sent += length;
  }
}
