/**
 * Opening a shard folder after whatever happened to it: the manifest is
 * trusted, files it does not name are removed (a crash during flush or
 * compaction), and the WAL files it still needs are replayed, tolerating a
 * torn tail.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { listDirectory } from './fs-util.ts';
import { type ManifestState, EMPTY_MANIFEST, readManifest, writeManifest } from './manifest.ts';
import { liveEntries, mergeEntries } from './merge.ts';
import { Segment } from './segment.ts';
import { BUCKET_NAME } from './shard-files.ts';
import { type Operation, parseWal } from './wal-record.ts';
import { parseWalFileName, walFileName } from './wal.ts';

export interface MutableRecoveryStats {
  walRecordsReplayed: number;
  tornWalTails: number;
  tornWalBytes: number;
  leftoversRemoved: number;
}

/** What recovery needs of the shard's settings. */
export interface RecoveryOptions {
  /** The bucket whose live keys the manifest counts. */
  readonly countedBucket: string;
  readonly log: (message: string) => void;
  /** Recovery counters, shared by every shard of a store. */
  readonly stats: MutableRecoveryStats;
}

/** A shard folder as recovery left it: ready to open. */
export interface RecoveredShard {
  readonly state: ManifestState;
  /** The live segments of every bucket, open, oldest first. */
  readonly segments: Map<string, Segment[]>;
  /** The writes of the WAL files still needed, oldest first, to apply again. */
  readonly batches: Operation[][];
  /** The generation (and WAL file number) to start writing. */
  readonly nextGeneration: number;
}

/** Creates the folder if needed, or recovers the shard in it (see the file's notes). */
export async function recoverShardFiles(dir: string, options: RecoveryOptions): Promise<RecoveredShard> {
  await fsp.mkdir(dir, { recursive: true });
  let state = await readManifest(dir);
  if (state === undefined) {
    state = EMPTY_MANIFEST;
    await writeManifest(dir, state);
  }
  const segments = await openLiveSegments(dir, state, options);
  if (state.liveKeys === undefined) {
    // Written before counts were kept: count the segments once, and record it.
    state = { ...state, liveKeys: { [options.countedBucket]: await countLiveKeys(segments.get(options.countedBucket) ?? []) } };
    await writeManifest(dir, state);
  }
  const replay = await replayWal(dir, state, options);
  return { state, segments, batches: replay.batches, nextGeneration: Math.max(state.walStart, replay.lastGeneration + 1) };
}

async function openLiveSegments(dir: string, state: ManifestState, options: RecoveryOptions): Promise<Map<string, Segment[]>> {
  const segments = new Map<string, Segment[]>();
  try {
    for (const [bucket, names] of Object.entries(state.buckets)) {
      const list: Segment[] = [];
      segments.set(bucket, list);
      for (const name of names) list.push(await Segment.open(path.join(dir, bucket, name), name));
    }
    await removeLeftovers(dir, state, options);
    return segments;
  } catch (error) {
    for (const list of segments.values()) for (const segment of list) segment.unref();
    throw error;
  }
}

/** Deletes segment files no manifest names (a crash during flush or compaction) and temp files. */
async function removeLeftovers(dir: string, state: ManifestState, options: RecoveryOptions): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.tmp')) {
      await fsp.rm(full, { force: true });
      options.stats.leftoversRemoved++;
    } else if (entry.isDirectory() && BUCKET_NAME.test(entry.name)) {
      const live = new Set(state.buckets[entry.name] ?? []);
      for (const name of await listDirectory(full)) {
        if (live.has(name)) continue;
        await fsp.rm(path.join(full, name), { force: true, recursive: true });
        options.stats.leftoversRemoved++;
        options.log(`removed leftover ${path.join(full, name)}`);
      }
    }
  }
}

/** Reads the WAL files the manifest still needs, oldest first; a torn tail ends that file's replay. */
async function replayWal(dir: string, state: ManifestState, options: RecoveryOptions): Promise<{ batches: Operation[][]; lastGeneration: number }> {
  const generations: number[] = [];
  for (const name of await listDirectory(dir)) {
    const generation = parseWalFileName(name);
    if (generation === undefined) continue;
    if (generation < state.walStart) {
      await fsp.rm(path.join(dir, name), { force: true });
      options.stats.leftoversRemoved++;
    } else {
      generations.push(generation);
    }
  }
  generations.sort((a, b) => a - b);
  const batches: Operation[][] = [];
  for (const generation of generations) {
    const file = path.join(dir, walFileName(generation));
    const data = await fsp.readFile(file);
    const parsed = parseWal(data);
    batches.push(...parsed.batches);
    options.stats.walRecordsReplayed += parsed.batches.length;
    if (parsed.validBytes < data.length) {
      options.stats.tornWalTails++;
      options.stats.tornWalBytes += data.length - parsed.validBytes;
      options.log(`${file}: dropped a torn tail of ${data.length - parsed.validBytes} bytes after ${parsed.batches.length} records`);
    }
  }
  return { batches, lastGeneration: generations.at(-1) ?? 0 };
}

/** Live keys of a bucket's segments (oldest first), by merging them: O(entries), only for old manifests. */
async function countLiveKeys(segments: readonly Segment[]): Promise<number> {
  let count = 0;
  for await (const _ of liveEntries(mergeEntries(segments.toReversed().map((s) => s.entries())))) count++;
  return count;
}
