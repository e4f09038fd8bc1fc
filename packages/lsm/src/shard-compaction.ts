/**
 * Compaction of one shard: size-tiered merges of adjacent segments in the
 * background, a full merge on request, and the pause a snapshot takes (a
 * running merge may finish within a grace period, else it is abandoned and
 * redone later). Only compaction removes segments, and only while not paused.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Entry } from './entry.ts';
import { ioError } from './errors.ts';
import { syncDirectory } from './fs-util.ts';
import { mergeEntries } from './merge.ts';
import type { Segment } from './segment.ts';

/** What compaction needs of its shard. */
export interface CompactionHost {
  readonly dir: string;
  /** Segments per bucket at which the automatic policy merges (see `StoreOptions`). */
  readonly compactionTrigger: number;
  readonly autoCompact: boolean;
  readonly log: (message: string) => void;
  /** The live segments of every bucket, oldest first. */
  segments(): ReadonlyMap<string, readonly Segment[]>;
  isClosed(): boolean;
  /** True once a flush failed: nothing more is written. */
  hasFailed(): boolean;
  /** Writes a new segment of `bucket` (see `writeSegment`). */
  writeSegment(
    bucket: string,
    expectedEntries: number,
    entries: AsyncIterable<Entry>,
    filter: (entry: Entry, index: number) => boolean,
  ): Promise<Segment | undefined>;
  /**
   * Replaces `count` segments of `bucket` from `start` on by `output` (none:
   * the merge dropped everything) in the manifest and the live set. Throws
   * if the list changed since the inputs were taken.
   */
  replaceSegments(bucket: string, start: number, count: number, inputs: readonly Segment[], output: Segment | undefined): Promise<void>;
}

class CompactionStopped extends Error {}

export class ShardCompaction {
  readonly #host: CompactionHost;
  #running: Promise<void> | undefined;
  /** While > 0 no compaction starts; the running loop ends after its current merge. */
  #pauses = 0;
  /** While > 0 the running merge is abandoned at its next check. */
  #stops = 0;

  constructor(host: CompactionHost) {
    this.#host = host;
  }

  /** Starts a background compaction when the automatic policy finds work and nothing holds it back. */
  maybeStart(): void {
    if (!this.#host.autoCompact || this.#running !== undefined) return;
    if (this.#pauses > 0 || this.#host.isClosed() || this.#host.hasFailed()) return;
    if (pickCompaction(this.#host.segments(), this.#host.compactionTrigger, false) === undefined) return;
    this.#running = this.#loop(false, false).finally(() => {
      this.#running = undefined;
    });
  }

  /** Compacts (all the way with `full`) once any running compaction ended; rejects if a merge fails. */
  async run(full: boolean): Promise<void> {
    while (this.#running !== undefined) await this.#running.catch(() => undefined);
    this.#running = this.#loop(full, true).finally(() => {
      this.#running = undefined;
    });
    await this.#running;
  }

  /** See `Shard.pauseCompaction`. */
  async pause(graceMs = 0): Promise<() => void> {
    this.#pauses++;
    const running = this.#running;
    if (running !== undefined && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.#stops++;
    try {
      while (this.#running !== undefined) await this.#running.catch(() => undefined);
    } finally {
      this.#stops--;
    }
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.#pauses--;
      this.maybeStart();
    };
  }

  /** For closing: no compaction starts again, a running merge is abandoned; resolves once none runs. */
  async stop(): Promise<void> {
    this.#pauses++;
    this.#stops++;
    while (this.#running !== undefined) await this.#running.catch(() => undefined);
  }

  async #loop(full: boolean, rethrow: boolean): Promise<void> {
    for (;;) {
      if (this.#pauses > 0 || this.#host.isClosed()) return;
      const job = pickCompaction(this.#host.segments(), this.#host.compactionTrigger, full);
      if (job === undefined) return;
      try {
        await this.#compactWindow(job.bucket, job.start, job.count);
      } catch (error) {
        if (error instanceof CompactionStopped) return;
        this.#host.log(`compaction of ${this.#host.dir}/${job.bucket} failed: ${String(error)}`);
        if (rethrow) throw ioError(error, `compact ${this.#host.dir}`);
        return;
      }
    }
  }

  /** Merges adjacent segments into one; tombstones go only when nothing older remains. */
  async #compactWindow(bucket: string, start: number, count: number): Promise<void> {
    const host = this.#host;
    const inputs = (host.segments().get(bucket) ?? []).slice(start, start + count).map((s) => s.ref());
    try {
      const dropTombstones = start === 0;
      const expected = inputs.reduce((sum, s) => sum + s.entryCount, 0);
      const merged = mergeEntries(inputs.toReversed().map((s) => s.entries()));
      const output = await host.writeSegment(bucket, expected, merged, (entry, index) => {
        if ((index & 255) === 0 && (this.#stops > 0 || host.isClosed())) throw new CompactionStopped();
        return !(dropTombstones && entry.value === null);
      });
      try {
        await host.replaceSegments(bucket, start, count, inputs, output);
      } catch (error) {
        if (output !== undefined) {
          output.unref();
          await fsp.rm(output.path, { force: true });
        }
        throw error;
      }
      // Retire the inputs: unlink now (snapshot hard links keep their own copy),
      // close once the last reader lets go.
      for (const segment of inputs) {
        await fsp.rm(segment.path, { force: true });
        segment.unref();
      }
      await syncDirectory(path.join(host.dir, bucket));
    } finally {
      for (const segment of inputs) segment.unref();
    }
  }
}

/**
 * Size-tiered choice: in a bucket with at least `trigger` segments, that
 * many adjacent segments with the smallest total size. A full compaction
 * merges all segments of a bucket into one.
 */
export function pickCompaction(
  buckets: ReadonlyMap<string, readonly Segment[]>,
  trigger: number,
  full: boolean,
): { bucket: string; start: number; count: number } | undefined {
  for (const [bucket, segments] of buckets) {
    if (full) {
      // One segment still gets rewritten if it carries tombstones, which a full merge drops.
      if (segments.length > 1 || (segments[0]?.tombstoneCount ?? 0) > 0) return { bucket, start: 0, count: segments.length };
      continue;
    }
    if (segments.length < trigger) continue;
    let best = 0;
    let bestSize = Infinity;
    for (let start = 0; start + trigger <= segments.length; start++) {
      const size = segments.slice(start, start + trigger).reduce((sum, s) => sum + s.size, 0);
      if (size < bestSize) {
        best = start;
        bestSize = size;
      }
    }
    return { bucket, start: best, count: trigger };
  }
  return undefined;
}
