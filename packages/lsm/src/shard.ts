/**
 * One shard of the LSM engine: a WAL plus memtable per generation, immutable
 * segments per named bucket, a manifest, background flush and compaction, and
 * the snapshot hooks (flush, pause compaction, freeze the live file set).
 *
 * The folder's files: shard-files.ts; opening after a crash: shard-recovery.ts;
 * compaction: shard-compaction.ts; the snapshot hooks: shard-snapshot.ts.
 *
 * Invariants:
 * - A write is applied to the active memtable and queued on the active WAL in
 *   one synchronous step, so a memtable swap (also synchronous) splits the
 *   writes cleanly: each write belongs to exactly one generation.
 * - Generations are flushed in order; the manifest's `walStart` only moves
 *   past a generation once its segments are durable and named by a manifest.
 * - Live keys of the counted bucket are counted without slowing writes: the
 *   manifest holds the segments' count, each generation the change its writes
 *   made. A write learns synchronously whether its key was live when the
 *   memtables hold the key or no bloom filter may; otherwise the key is
 *   queued, and looked up in the segments by the next count() or, at the
 *   latest, by its generation's flush, before the flush installs it (until
 *   then the segments still hold the key's state from before the write).
 */
import { promises as fsp } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BackupError, ErrorCode } from '@backup/core';
import type { Entry } from './entry.ts';
import { conflict, ioError } from './errors.ts';
import { type ManifestState, writeManifest } from './manifest.ts';
import { type Generation, applyToMemtable, countWrite, liveInSegments, newGeneration, resolveQueued } from './shard-generation.ts';
import { type EntrySource, liveEntries, mergeEntries } from './merge.ts';
import { Mutex } from './mutex.ts';
import type { Segment } from './segment.ts';
import { ShardCompaction } from './shard-compaction.ts';
import { BUCKET_NAME, removeObsoleteWals, writeSegment } from './shard-files.ts';
import { type MutableRecoveryStats, recoverShardFiles } from './shard-recovery.ts';
import { type FrozenShard, type LiveSet, type ShardFreeze, beginShardFreeze } from './shard-snapshot.ts';
import { type Operation, encodeRecord } from './wal-record.ts';
import { WalWriter } from './wal.ts';

/** Engine settings of a shard (see `StoreOptions` for their meaning and defaults). */
export interface ShardOptions {
  readonly memtableBytes: number;
  readonly blockBytes: number;
  readonly compactionTrigger: number;
  readonly bloomBitsPerKey: number;
  readonly syncWrites: boolean;
  readonly autoCompact: boolean;
  /** The bucket whose live keys {@link Shard.liveKeys} counts. */
  readonly countedBucket: string;
  readonly log: (message: string) => void;
  /** Recovery counters, shared by every shard of a store. */
  readonly stats: MutableRecoveryStats;
}

/** Flushes waiting at once before writers are held back, so memory stays bounded. */
const MAX_IMMUTABLE_GENERATIONS = 4;

export class Shard {
  readonly dir: string;
  readonly #options: ShardOptions;
  #state: ManifestState;
  readonly #segments = new Map<string, Segment[]>();
  #active: Generation;
  readonly #immutables: Generation[] = [];
  #flushTail: Promise<unknown> = Promise.resolve();
  readonly #manifestLock = new Mutex();
  #nextFileNumber: number;
  readonly #compaction: ShardCompaction;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: unknown;

  private constructor(dir: string, options: ShardOptions, state: ManifestState, active: Generation) {
    this.dir = dir;
    this.#options = options;
    this.#state = state;
    this.#nextFileNumber = state.nextFileNumber;
    this.#active = active;
    this.#compaction = new ShardCompaction({
      dir,
      compactionTrigger: options.compactionTrigger,
      autoCompact: options.autoCompact,
      log: options.log,
      segments: () => this.#segments,
      isClosed: () => this.#closed,
      hasFailed: () => this.#failure !== undefined,
      writeSegment: (bucket, expectedEntries, entries, filter) => this.#writeSegment(bucket, expectedEntries, entries, filter),
      replaceSegments: (bucket, start, count, inputs, output) => this.#replaceSegments(bucket, start, count, inputs, output),
    });
  }

  /**
   * Opens (or creates) the shard in `dir`: trusts the manifest, removes files
   * it does not name, replays the WAL files it still needs (tolerating a
   * torn tail) and starts a new WAL generation.
   */
  static async open(dir: string, options: ShardOptions): Promise<Shard> {
    try {
      const { state, segments, batches, nextGeneration } = await recoverShardFiles(dir, options);
      const active = newGeneration(nextGeneration, WalWriter.createSync(dir, nextGeneration, options.syncWrites));
      const shard = new Shard(dir, options, state, active);
      for (const [bucket, list] of segments) shard.#segments.set(bucket, list);
      for (const batch of batches) shard.#apply(batch);
      if (shard.#active.bytes >= options.memtableBytes) shard.#swap();
      shard.#compaction.maybeStart();
      return shard;
    } catch (error) {
      throw ioError(error, `open shard ${dir}`);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Applies `ops` atomically and resolves once they are durable (with
   * `syncWrites`). Writers wait only if flushes fall behind.
   */
  write(ops: readonly Operation[]): Promise<void> {
    return this.#admit(ops, () => this.write(ops)) ?? this.#commit(ops).ack;
  }

  /**
   * Validates `ops`; if flushes have fallen behind, returns `retry` run once
   * the oldest pending flush settles (writers wait, they never fail). Returns
   * undefined when the write may go ahead now.
   */
  #admit<T>(ops: readonly Operation[], retry: () => Promise<T>): Promise<T> | undefined {
    try {
      this.#assertWritable();
      for (const op of ops) if (!BUCKET_NAME.test(op.bucket)) throw new BackupError(ErrorCode.INVALID_ARGUMENT, `bad bucket name '${op.bucket}'`);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#immutables.length < MAX_IMMUTABLE_GENERATIONS) return undefined;
    const oldest = this.#immutables[0]!.flushed!;
    return oldest.then(retry, retry);
  }

  /**
   * Like {@link write}, and resolves to whether the key `ops` write in the
   * counted bucket (exactly one op) held a live value just before this
   * write, in the order writes were called.
   */
  writeReporting(ops: readonly Operation[]): Promise<boolean> {
    const counted = ops.filter((op) => op.bucket === this.#options.countedBucket);
    if (counted.length !== 1) {
      return Promise.reject(new BackupError(ErrorCode.INVALID_ARGUMENT, `writeReporting needs exactly one op on '${this.#options.countedBucket}'`));
    }
    const held = this.#admit(ops, () => this.writeReporting(ops));
    if (held) return held;
    const { ack, wasLive } = this.#commit(ops);
    if (wasLive !== undefined) return ack.then(() => wasLive);
    // Same synchronous step as the apply: these segments hold the key's state from just before it.
    const segments = this.#refSegments(this.#options.countedBucket);
    const lookup = liveInSegments(segments, counted[0]!.key).finally(() => {
      for (const segment of segments) segment.unref();
    });
    return Promise.all([lookup, ack]).then(([existed]) => existed);
  }

  /**
   * Queues `ops` on the WAL and applies them in one synchronous step; swaps
   * a full memtable. `wasLive`: the counted key's prior state, when known
   * without I/O.
   */
  #commit(ops: readonly Operation[]): { ack: Promise<void>; wasLive: boolean | undefined } {
    const ack = this.#active.wal.append(encodeRecord(ops));
    const wasLive = this.#apply(ops);
    if (this.#active.bytes >= this.#options.memtableBytes) {
      try {
        this.#swap();
      } catch (error) {
        // This write is safe in the current WAL; the next write tries the swap again.
        this.#options.log(`memtable swap of ${this.dir} failed: ${String(error)}`);
      }
    }
    return { ack, wasLive };
  }

  /** The newest value of `key` in `bucket`, or undefined when absent or deleted. */
  async get(bucket: string, key: Buffer): Promise<Buffer | undefined> {
    this.#assertOpen();
    for (const generation of this.#generationsNewestFirst()) {
      const found = generation.tables.get(bucket)?.get(key);
      if (found !== undefined) return found ?? undefined;
    }
    const segments = this.#refSegments(bucket);
    try {
      for (let i = segments.length - 1; i >= 0; i--) {
        const found = await segments[i]!.get(key);
        if (found !== undefined) return found ?? undefined;
      }
      return undefined;
    } finally {
      for (const segment of segments) segment.unref();
    }
  }

  /**
   * Live entries of `bucket` with keys strictly greater than `after`, in key
   * order. Sees the memtables and segments of the moment iteration starts
   * (writes made meanwhile to the active memtable may show up).
   */
  entries(bucket: string, after?: Buffer): AsyncGenerator<Entry & { value: Buffer }> {
    return liveEntries(this.newestEntries(bucket, after));
  }

  /**
   * Like {@link entries}, with tombstones (`value === null`): the newest
   * entry of each key. Lets a caller stop at a key past the ones it wants even
   * when those were deleted.
   */
  async *newestEntries(bucket: string, after?: Buffer): AsyncGenerator<Entry> {
    this.#assertOpen();
    const tables = this.#generationsNewestFirst().flatMap((g) => g.tables.get(bucket) ?? []);
    const segments = this.#refSegments(bucket);
    try {
      const sources: EntrySource[] = [...tables.map((t) => t.entries(after)), ...segments.toReversed().map((s) => s.entries(after))];
      yield* mergeEntries(sources);
    } finally {
      for (const segment of segments) segment.unref();
    }
  }

  /**
   * Live keys of the counted bucket, exact as of the call (writes applied
   * but not yet durable included). Costs a segment lookup per write queued
   * since the last count (see the class notes), never a scan.
   */
  liveKeys(): Promise<number> {
    this.#assertOpen();
    // Under the manifest lock no flush installs segments, so queued keys read their state from before their write.
    return this.#manifestLock.run(async () => {
      const bucket = this.#options.countedBucket;
      let count = this.#state.liveKeys?.[bucket] ?? 0;
      // The instant counted: everything applied so far; later writes only append.
      const pending = this.#generationsNewestFirst().map((generation) => {
        count += generation.liveKeysDelta;
        return { generation, queued: generation.unresolved.length };
      });
      for (const { generation, queued } of pending) count += await this.#resolve(generation, queued);
      return count;
    });
  }

  /** Flushes every memtable to segments; resolves when they are durable. */
  async flush(): Promise<{ writerStallMs: number }> {
    const { writerStallMs } = await this.#flushAll();
    return { writerStallMs };
  }

  /**
   * Compacts until no bucket has more than one segment (or only as far as the
   * automatic policy would with `full: false`). Waits while compaction is
   * paused by a snapshot.
   */
  async compact(options: { full?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    await this.#compaction.run(options.full ?? true);
  }

  /**
   * Stops compaction until the returned function is called. A running merge
   * may finish within `graceMs`; after that it is abandoned (its partial
   * output deleted) and redone later. Waiting a little keeps frequent
   * snapshots from starving compaction; stopping bounds the snapshot's wait.
   */
  pauseCompaction(graceMs = 0): Promise<() => void> {
    return this.#compaction.pause(graceMs);
  }

  /**
   * Snapshot step 1: pauses compaction (a running one is abandoned). The
   * returned handle's `cut()` then swaps the memtable synchronously (the
   * flush point: writes before it are in the snapshot, writes after it are
   * not), `finish()` waits for the flush and hard-links the live segments
   * into a staging folder, `resume()` lets compaction run again. Cutting
   * several shards in one synchronous loop gives one flush point for all.
   */
  async beginFreeze(): Promise<ShardFreeze> {
    this.#assertOpen();
    return beginShardFreeze({ dir: this.dir, pauseCompaction: (graceMs) => this.pauseCompaction(graceMs), cut: () => this.#cut() });
  }

  /** The whole snapshot hook for one shard: pause compaction, cut, flush, hard-link, resume. */
  async freeze(stageDir: string): Promise<FrozenShard> {
    const freeze = await this.beginFreeze();
    try {
      const started = performance.now();
      freeze.cut();
      const writerStallMs = performance.now() - started;
      return { files: await freeze.finish(stageDir), writerStallMs };
    } finally {
      freeze.resume();
    }
  }

  /** Flushes, stops compaction, closes every file. Later calls wait for the first. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#compaction.stop();
    let failure: unknown;
    try {
      if (this.#failure === undefined) await this.#flushAll();
    } catch (error) {
      failure = error;
    }
    this.#closed = true;
    const active = this.#active;
    await active.wal.close().catch(() => undefined);
    // The active WAL took no writes (everything was flushed), so it holds nothing.
    if (failure === undefined && this.#failure === undefined && active.bytes === 0) await fsp.rm(active.wal.path, { force: true });
    for (const segments of this.#segments.values()) for (const segment of segments) segment.unref();
    this.#segments.clear();
    if (failure !== undefined) throw ioError(failure, `close shard ${this.dir}`);
  }

  #assertOpen(): void {
    if (this.#closed) throw conflict(`shard ${this.dir} is closed`);
  }

  #assertWritable(): void {
    if (this.#closed || this.#closing !== undefined) throw conflict(`shard ${this.dir} is closed`);
    if (this.#failure !== undefined) throw ioError(this.#failure, `shard ${this.dir} failed earlier; reopen the store`);
  }

  /** Applies `ops` to the active memtable; returns the (last) counted key's prior state if known without I/O. */
  #apply(ops: readonly Operation[]): boolean | undefined {
    const generation = this.#active;
    let wasLive: boolean | undefined = false;
    for (const op of ops) {
      if (op.bucket === this.#options.countedBucket) {
        wasLive = countWrite(generation, op, this.#memtableLookup(op.bucket, op.key), this.#segments.get(op.bucket) ?? []);
      }
      applyToMemtable(generation, op);
    }
    return wasLive;
  }

  /** The key's newest entry in the memtables (null: deleted), undefined when none holds it. */
  #memtableLookup(bucket: string, key: Buffer): Buffer | null | undefined {
    const found = this.#active.tables.get(bucket)?.get(key);
    if (found !== undefined) return found;
    for (let i = this.#immutables.length - 1; i >= 0; i--) {
      const older = this.#immutables[i]!.tables.get(bucket)?.get(key);
      if (older !== undefined) return older;
    }
    return undefined;
  }

  /**
   * Looks up the first `count` queued writes of `generation` in the segments
   * and folds them into its delta; returns what they changed. Runs under the
   * manifest lock (segments do not gain the generation meanwhile).
   */
  async #resolve(generation: Generation, count = generation.unresolved.length): Promise<number> {
    const segments = this.#refSegments(this.#options.countedBucket);
    try {
      return await resolveQueued(generation, segments, count);
    } finally {
      for (const segment of segments) segment.unref();
    }
  }

  #generationsNewestFirst(): Generation[] {
    return [this.#active, ...this.#immutables.toReversed()];
  }

  #refSegments(bucket: string): Segment[] {
    return (this.#segments.get(bucket) ?? []).map((segment) => segment.ref());
  }

  /** Synchronously retires the active generation and starts a new one with its own WAL. */
  #swap(): Generation {
    const old = this.#active;
    const next = old.number + 1;
    this.#active = newGeneration(next, WalWriter.createSync(this.dir, next, this.#options.syncWrites));
    this.#immutables.push(old);
    const flushed = this.#flushTail.then(() => this.#flushGeneration(old));
    old.flushed = flushed;
    this.#flushTail = flushed.catch((error: unknown) => {
      this.#failure ??= error;
      this.#options.log(`flush of ${this.dir} generation ${old.number} failed: ${String(error)}`);
    });
    return old;
  }

  /** Swaps if the active memtable holds anything, then waits for every pending flush. */
  async #flushAll(): Promise<{ live: LiveSet; writerStallMs: number }> {
    const started = performance.now();
    const live = this.#cut();
    const writerStallMs = performance.now() - started;
    return { live: await live, writerStallMs };
  }

  /**
   * Synchronously retires the active memtable (if it holds anything); the
   * promise settles with the live set that holds every write made so far.
   */
  #cut(): Promise<LiveSet> {
    if (this.#active.bytes > 0) {
      if (this.#closed) throw conflict(`shard ${this.dir} is closed`);
      this.#swap();
    }
    const newest = this.#immutables.at(-1);
    return newest === undefined ? Promise.resolve(this.#liveSet()) : newest.flushed!;
  }

  async #flushGeneration(generation: Generation): Promise<LiveSet> {
    if (this.#failure !== undefined) throw ioError(this.#failure, `an earlier flush of ${this.dir} failed`);
    // Every write of this generation is durable in its WAL before segments replace it.
    await generation.wal.close();
    const added = new Map<string, Segment>();
    try {
      for (const [bucket, table] of generation.tables) {
        if (table.size === 0) continue;
        const segment = await this.#writeSegment(bucket, table.size, table.entries());
        if (segment !== undefined) added.set(bucket, segment);
      }
      const live = await this.#manifestLock.run(async () => {
        // The last moment the segments hold these keys' state from before this generation.
        await this.#resolve(generation);
        const buckets: Record<string, readonly string[]> = { ...this.#state.buckets };
        for (const [bucket, segment] of added) buckets[bucket] = [...(buckets[bucket] ?? []), segment.name];
        const counted = this.#options.countedBucket;
        const liveKeys = { ...this.#state.liveKeys, [counted]: (this.#state.liveKeys?.[counted] ?? 0) + generation.liveKeysDelta };
        const state: ManifestState = { nextFileNumber: this.#nextFileNumber, walStart: generation.number + 1, buckets, liveKeys };
        await writeManifest(this.dir, state);
        this.#state = state;
        for (const [bucket, segment] of added) this.#segments.set(bucket, [...(this.#segments.get(bucket) ?? []), segment]);
        this.#immutables.splice(this.#immutables.indexOf(generation), 1);
        return this.#liveSet();
      });
      await removeObsoleteWals(this.dir, live.state.walStart);
      this.#compaction.maybeStart();
      return live;
    } catch (error) {
      for (const segment of added.values()) {
        segment.unref();
        await fsp.rm(segment.path, { force: true });
      }
      throw error;
    }
  }

  #liveSet(): LiveSet {
    return { state: this.#state, segments: new Map([...this.#segments].map(([bucket, list]) => [bucket, [...list]])) };
  }

  /** Writes entries to a new segment file; undefined when nothing was written. */
  #writeSegment(
    bucket: string,
    expectedEntries: number,
    entries: Iterable<Entry> | AsyncIterable<Entry>,
    filter?: (entry: Entry, index: number) => boolean,
  ): Promise<Segment | undefined> {
    return writeSegment(this.dir, bucket, this.#options, () => this.#nextFileNumber++, expectedEntries, entries, filter);
  }

  /** Installs a compaction's output in place of its inputs, under the manifest lock. */
  #replaceSegments(bucket: string, start: number, count: number, inputs: readonly Segment[], output: Segment | undefined): Promise<void> {
    return this.#manifestLock.run(async () => {
      const current = this.#segments.get(bucket) ?? [];
      if (inputs.some((segment, i) => current[start + i] !== segment)) throw new Error('segment list changed under compaction');
      const replaced = [...current.slice(0, start), ...(output === undefined ? [] : [output]), ...current.slice(start + count)];
      const state: ManifestState = {
        nextFileNumber: this.#nextFileNumber,
        walStart: this.#state.walStart,
        buckets: { ...this.#state.buckets, [bucket]: replaced.map((s) => s.name) },
        liveKeys: this.#state.liveKeys, // merging changes no key's liveness
      };
      await writeManifest(this.dir, state);
      this.#state = state;
      this.#segments.set(bucket, replaced);
    });
  }
}
