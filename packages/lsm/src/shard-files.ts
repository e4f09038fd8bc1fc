/**
 * The files of one shard folder:
 * ```
 * <shard>/MANIFEST              live segments per bucket, first WAL still needed
 * <shard>/wal-000007.log        WAL of a generation not yet in segments
 * <shard>/<bucket>/000012.seg   segment files
 * ```
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Entry } from './entry.ts';
import { listDirectory, syncDirectory } from './fs-util.ts';
import { segmentFileName } from './manifest.ts';
import { Segment } from './segment.ts';
import { SegmentWriter } from './segment-writer.ts';
import { parseWalFileName } from './wal.ts';

/** A bucket's name, which is also its folder's. */
export const BUCKET_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** How segment files are built (see `StoreOptions`). */
export interface SegmentSettings {
  readonly blockBytes: number;
  readonly bloomBitsPerKey: number;
}

/**
 * Writes `entries` (those `filter` keeps) to a new segment file of `bucket`,
 * numbered by `allocateFileNumber`, durable before it opens; undefined when
 * nothing was written.
 */
export async function writeSegment(
  dir: string,
  bucket: string,
  settings: SegmentSettings,
  allocateFileNumber: () => number,
  expectedEntries: number,
  entries: Iterable<Entry> | AsyncIterable<Entry>,
  filter?: (entry: Entry, index: number) => boolean,
): Promise<Segment | undefined> {
  const bucketDir = path.join(dir, bucket);
  await fsp.mkdir(bucketDir, { recursive: true });
  const name = segmentFileName(allocateFileNumber());
  const file = path.join(bucketDir, name);
  const writer = await SegmentWriter.create(file, {
    expectedEntries,
    blockBytes: settings.blockBytes,
    bloomBitsPerKey: settings.bloomBitsPerKey,
  });
  try {
    let index = 0;
    for await (const entry of entries) {
      if (filter !== undefined && !filter(entry, index++)) continue;
      await writer.add(entry);
    }
    if (writer.entryCount === 0) {
      await writer.abort();
      return undefined;
    }
    await writer.finish();
    await syncDirectory(bucketDir);
    return await Segment.open(file, name);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Deletes the WAL files of generations before `walStart` (their writes are in segments). */
export async function removeObsoleteWals(dir: string, walStart: number): Promise<void> {
  for (const name of await listDirectory(dir)) {
    const generation = parseWalFileName(name);
    if (generation !== undefined && generation < walStart) await fsp.rm(path.join(dir, name), { force: true });
  }
}
