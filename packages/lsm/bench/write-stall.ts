/**
 * Write throughput at 1 KB values and the writer stall caused by repeated
 * snapshots, on real files (tmpfs by default).
 *
 *   node --conditions=@backup/source packages/lsm/bench/write-stall.ts [--duration-ms 4000] [--shards 1] [--writers 32]
 *
 * "Stall" is the time writers of a shard are held up by a snapshot: the
 * synchronous memtable swap reported by `snapshot().shards[].writerStallMs`,
 * cross-checked against the worst write latency seen while snapshots ran.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Store } from '../src/index.ts';

export interface WriteStallOptions {
  /** Store folder; default a fresh folder on /dev/shm (removed afterwards). */
  readonly path?: string;
  /** How long writers run while snapshots are taken. Default 4000 ms. */
  readonly durationMs?: number;
  /** Bytes per value. Default 1024. */
  readonly valueBytes?: number;
  /** Concurrent writer loops. Default 32. */
  readonly writers?: number;
  /** Shards of the collection (desiredCount). Default 1. */
  readonly shards?: number;
  /** Pause between the end of one snapshot and the start of the next. Default 100 ms. */
  readonly snapshotIntervalMs?: number;
  /** Also measure throughput without snapshots for the same duration. Default true. */
  readonly baseline?: boolean;
  /** fsync each acknowledged write (group commit). Default true. */
  readonly syncWrites?: boolean;
}

export interface WriteStallResult {
  readonly writesPerSecond: number;
  /** Longest writer stall of any shard in any snapshot, ms. */
  readonly maxStallMs: number;
  /** 99th percentile of per-shard, per-snapshot writer stalls, ms. */
  readonly p99StallMs: number;
  readonly snapshots: number;
  /** Throughput with no snapshots running (when measured). */
  readonly baselineWritesPerSecond?: number;
  /** Write latency with no snapshots running (when measured), ms. */
  readonly baselineWriteLatencyMs?: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Write latency (enqueue to durable acknowledgement) while snapshots ran, ms. */
  readonly writeLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Mean time for one snapshot call (flush + hard links), ms. */
  readonly meanSnapshotMs: number;
  readonly writes: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function latencySummary(sorted: readonly number[]) {
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
}

async function runWriters(store: Store, collection: string, options: Required<WriteStallOptions>, whileRunning?: (done: () => boolean) => Promise<void>) {
  const target = store.getCollection(collection)!;
  const value = randomBytes(options.valueBytes / 2).toString('hex'); // ~valueBytes of JSON text
  const latencies: number[] = [];
  let writes = 0;
  let stop = false;
  const started = performance.now();
  const loops = Array.from({ length: options.writers }, async (_, loop) => {
    for (let seq = 0; !stop; seq++) {
      const t0 = performance.now();
      await target.put(`w${loop}-${seq}-${Math.random().toString(36).slice(2, 8)}`, { properties: { value } });
      latencies.push(performance.now() - t0);
      writes++;
    }
  });
  const timer = new Promise<void>((resolve) => setTimeout(resolve, options.durationMs));
  await Promise.all([timer.then(() => (stop = true)), whileRunning?.(() => stop)]);
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  return { writesPerSecond: writes / seconds, latencies: latencies.sort((a, b) => a - b), writes };
}

/** Runs the benchmark; see {@link WriteStallOptions} for the knobs. */
export async function benchmarkWriteStall(opts: WriteStallOptions = {}): Promise<WriteStallResult> {
  const options: Required<WriteStallOptions> = {
    path: opts.path ?? mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'lsm-bench-')),
    durationMs: opts.durationMs ?? 4000,
    valueBytes: opts.valueBytes ?? 1024,
    writers: opts.writers ?? 32,
    shards: opts.shards ?? 1,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? 100,
    baseline: opts.baseline ?? true,
    syncWrites: opts.syncWrites ?? true,
  };
  const store = await Store.open({ path: options.path, syncWrites: options.syncWrites });
  try {
    await store.createCollection({ class: 'Bench', shardingConfig: { desiredCount: options.shards } });
    const baseline = options.baseline ? await runWriters(store, 'Bench', options) : undefined;

    const stalls: number[] = [];
    const snapshotMs: number[] = [];
    const measured = await runWriters(store, 'Bench', options, async (done) => {
      while (!done()) {
        const t0 = performance.now();
        const snapshot = await store.snapshot('Bench');
        snapshotMs.push(performance.now() - t0);
        for (const shard of snapshot.shards) stalls.push(shard.writerStallMs);
        await snapshot.release();
        await new Promise((resolve) => setTimeout(resolve, options.snapshotIntervalMs));
      }
    });
    stalls.sort((a, b) => a - b);
    return {
      writesPerSecond: Math.round(measured.writesPerSecond),
      maxStallMs: round(stalls.at(-1) ?? 0),
      p99StallMs: round(percentile(stalls, 99)),
      snapshots: snapshotMs.length,
      ...(baseline === undefined
        ? {}
        : { baselineWritesPerSecond: Math.round(baseline.writesPerSecond), baselineWriteLatencyMs: latencySummary(baseline.latencies) }),
      writeLatencyMs: latencySummary(measured.latencies),
      meanSnapshotMs: round(snapshotMs.reduce((a, b) => a + b, 0) / Math.max(1, snapshotMs.length)),
      writes: measured.writes,
    };
  } finally {
    await store.close();
    if (opts.path === undefined) await rm(options.path, { recursive: true, force: true });
  }
}

function argument(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : Number(process.argv[index + 1]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchmarkWriteStall({
    durationMs: argument('duration-ms'),
    shards: argument('shards'),
    writers: argument('writers'),
    valueBytes: argument('value-bytes'),
  });
  console.log(JSON.stringify(result, null, 2));
  if (result.maxStallMs > 20) {
    console.error(`writer stall ${result.maxStallMs} ms exceeds the 20 ms target`);
    process.exitCode = 1;
  }
}
