/**
 * The store's own writer-stall benchmark (`packages/lsm/bench/write-stall.ts`,
 * `benchmarkWriteStall`), when it exists: it measures the snapshot hook in
 * isolation, where the figure from a backup's snapshot report measures it
 * under the server's load. Missing or failing, it is reported with the reason.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LsmStallBench {
  readonly available: boolean;
  readonly reason?: string;
  /** Options it ran with. */
  readonly options?: { durationMs: number; shards: number };
  /** Longest writer stall of any shard in any snapshot, ms (from the result). */
  readonly maxStallMs?: number;
  /** Whatever the benchmark returned, as it returned it. */
  readonly result?: unknown;
}

const require = createRequire(import.meta.url);

export async function runLsmStallBench(options: { quick: boolean }): Promise<LsmStallBench> {
  const file = path.join(path.dirname(require.resolve('@backup/lsm/package.json')), 'bench', 'write-stall.ts');
  if (!existsSync(file)) return { available: false, reason: 'packages/lsm/bench/write-stall.ts does not exist yet' };
  try {
    const module = (await import(pathToFileURL(file).href)) as { benchmarkWriteStall?: (opts: object) => Promise<{ maxStallMs?: unknown }> };
    if (typeof module.benchmarkWriteStall !== 'function') return { available: false, reason: 'write-stall.ts does not export benchmarkWriteStall' };
    // Four shards, as many as the data set's largest collection has tenants; snapshots back to back under 32 writers.
    const opts = { durationMs: options.quick ? 1000 : 4000, shards: 4 };
    const result = await module.benchmarkWriteStall(opts);
    const maxStallMs = typeof result?.maxStallMs === 'number' ? result.maxStallMs : undefined;
    return { available: true, options: opts, ...(maxStallMs === undefined ? {} : { maxStallMs }), result };
  } catch (error) {
    return { available: false, reason: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
