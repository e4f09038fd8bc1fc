// What the fault scenarios share: the data set, and waiting on conditions (never fixed sleeps).

/** The one collection every scenario backs up. */
export const COLLECTION = 'Faulty';

/** A fault on every matching request. */
export const ALWAYS = Number.POSITIVE_INFINITY;

/** Deterministic bytes, incompressible enough to be stored as they are. */
export function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, Math.min(i, size - 4));
  }
  return out;
}

/** Resolves once `condition` holds; throws after `ms`. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls `read` until the operation is final (SUCCESS, FAILED, CANCELED); throws after `ms`. */
export async function waitForFinal<T extends { status: string }>(read: () => Promise<T>, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const report = await read();
    if (report.status === 'SUCCESS' || report.status === 'FAILED' || report.status === 'CANCELED') return report;
    if (Date.now() > until) throw new Error(`${what} is still ${report.status} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
