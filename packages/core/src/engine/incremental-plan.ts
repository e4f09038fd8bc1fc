/**
 * Which files of a snapshot an incremental backup can take from its base
 * instead of uploading them. See docs/DESIGN.md, "Incremental backups".
 *
 * A file is reused when the base node descriptor records the same path, size
 * and sha256. The snapshot's file is hashed to know, unless it is immutable and
 * the base recorded the same identity on disk (file-identity.ts): then it is
 * the very file the base read, and is not read again. Reuse is per chunk object: the new
 * backup lists the base's chunk record (its key stays in the folder of the
 * backup that uploaded it) and marks the entries it does not need `unused`.
 * A chunk is referenced only when at least half of its bytes are live, so a
 * chain never makes a restore read mostly dead data; the live files of a chunk
 * below that are packed again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { throwIfAborted } from '../errors.ts';
import type { SnapshotFile } from '../source.ts';
import type { EncryptionRecord, ChunkRecord, CollectionRecord, FileRecord, NodeDescriptor } from '../format/descriptors.ts';
import type { Codec } from '../format/compression-spec.ts';
import { forEachParallel } from './parallel.ts';

/** What a collection of an incremental backup takes from its base. */
export interface ReusePlan {
  /** Base chunk records to list in the new backup, entries of files it does not need marked `unused`. */
  readonly chunks: ChunkRecord[];
  /** The files they hold for this backup (records from the base, shard from the new snapshot). */
  readonly files: FileRecord[];
  /** Files still to pack and upload. */
  readonly toPack: SnapshotFile[];
  /** File bytes (before compression) reused. */
  readonly reusedBytes: number;
}

/** sha256 of a snapshot file, hex, streamed. */
export async function hashSnapshotFile(root: string, file: SnapshotFile, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  if (file.size === 0) return hash.digest('hex');
  const stream = createReadStream(join(root, ...file.path.split('/')), { highWaterMark: 256 * 1024, signal });
  for await (const bytes of stream as AsyncIterable<Buffer>) hash.update(bytes);
  return hash.digest('hex');
}

/** The base's record of a collection, or undefined when the base has none on this node. */
export function baseCollection(base: NodeDescriptor | undefined, name: string): CollectionRecord | undefined {
  return base?.collections.find((collection) => collection.name === name);
}

/**
 * Plans one collection: hashes every file whose path and size the base
 * records and whose identity it does not (`pipelines` at a time), then picks
 * the base chunks to reference.
 */
export async function planReuse(
  files: readonly SnapshotFile[],
  root: string,
  base: CollectionRecord | undefined,
  baseCodec: Codec,
  baseEncryption: EncryptionRecord | undefined,
  options: {
    readonly pipelines: number;
    readonly signal: AbortSignal;
    /** Identities of this snapshot's immutable files, by path (`identifyImmutableFiles`). */
    readonly identities?: ReadonlyMap<string, string> | undefined;
  },
): Promise<ReusePlan> {
  if (!base) return { chunks: [], files: [], toPack: [...files], reusedBytes: 0 };
  const baseFiles = new Map(base.files.map((file) => [file.path, file]));
  const sameSize = files.filter((file) => baseFiles.get(file.path)?.size === file.size);
  const unchanged = new Map<string, { file: SnapshotFile; record: FileRecord }>();
  const toHash: SnapshotFile[] = [];
  for (const file of sameSize) {
    const record = baseFiles.get(file.path) as FileRecord;
    const identity = options.identities?.get(file.path);
    if (identity !== undefined && identity === record.identity) unchanged.set(file.path, { file, record });
    else toHash.push(file);
  }
  await forEachParallel(toHash, options.pipelines, options.signal, async (file, signal) => {
    const record = baseFiles.get(file.path) as FileRecord;
    if ((await hashSnapshotFile(root, file, signal)) === record.sha256) unchanged.set(file.path, { file, record });
  });
  throwIfAborted(options.signal);

  const baseChunks = new Map(base.chunks.map((chunk) => [chunk.key, chunk]));
  const liveBytes = new Map<string, number>();
  for (const { record } of unchanged.values()) {
    for (const key of record.chunks) {
      const chunk = baseChunks.get(key);
      if (!chunk) continue;
      const bytes = chunk.entries.filter((entry) => entry.path === record.path && !entry.unused).reduce((sum, entry) => sum + entry.length, 0);
      liveBytes.set(key, (liveBytes.get(key) ?? 0) + bytes);
    }
  }
  const referenced = new Set([...liveBytes].filter(([key, bytes]) => bytes * 2 >= (baseChunks.get(key) as ChunkRecord).rawSize).map(([key]) => key));

  const reused: FileRecord[] = [];
  const toPack: SnapshotFile[] = [];
  for (const file of files) {
    const match = unchanged.get(file.path);
    if (match && match.record.chunks.length > 0 && match.record.chunks.every((key) => referenced.has(key))) {
      reused.push({ ...match.record, shard: file.shard });
    } else {
      toPack.push(file);
    }
  }
  const live = new Set(reused.map((file) => file.path));
  const chunks = [...referenced]
    .map((key) => baseChunks.get(key) as ChunkRecord)
    .filter((chunk) => chunk.entries.some((entry) => live.has(entry.path)))
    .map((chunk) => ({
      ...chunk,
      codec: chunk.codec ?? baseCodec,
      ...((chunk.encryption ?? baseEncryption) ? { encryption: chunk.encryption ?? baseEncryption } : {}),
      entries: chunk.entries.map(({ unused: _unused, ...entry }) => (live.has(entry.path) ? entry : { ...entry, unused: true })),
    }));
  return { chunks, files: reused, toPack, reusedBytes: reused.reduce((sum, file) => sum + file.size, 0) };
}
