import type { SnapshotFile } from '../source.ts';

/** A byte range of one snapshot file that becomes one tar entry. */
export interface PlannedEntry {
  readonly file: SnapshotFile;
  readonly offset: number;
  readonly length: number;
}

export interface PlannedChunk {
  readonly index: number;
  readonly entries: readonly PlannedEntry[];
  /** Bytes of file data (before compression). */
  readonly rawSize: number;
}

/**
 * Chunks one pipeline packs in order. A job is either one chunk of small
 * files, or all the parts of one file larger than a chunk: its parts go in
 * order through one pipeline, so the whole file's sha256 is computed in the
 * same pass.
 */
export interface PackJob {
  readonly chunks: readonly PlannedChunk[];
  /** Set when the job is the parts of this one file. */
  readonly splitFile?: SnapshotFile | undefined;
}

/**
 * Groups a collection's files into chunks of about `chunkSize` bytes before
 * compression. Files of one shard share chunks; files of different shards
 * never do. A file larger than `chunkSize` is split into parts of `chunkSize`
 * bytes, each in a chunk of its own. Chunk indexes are dense from 0.
 */
export function planChunks(files: readonly SnapshotFile[], chunkSize: number): PackJob[] {
  const jobs: PackJob[] = [];
  let index = 0;
  const byShard = new Map<string, SnapshotFile[]>();
  for (const file of files) {
    const list = byShard.get(file.shard);
    if (list) list.push(file);
    else byShard.set(file.shard, [file]);
  }
  for (const shardFiles of byShard.values()) {
    let entries: PlannedEntry[] = [];
    let rawSize = 0;
    const close = (): void => {
      if (entries.length === 0) return;
      jobs.push({ chunks: [{ index: index++, entries, rawSize }] });
      entries = [];
      rawSize = 0;
    };
    for (const file of shardFiles) {
      if (file.size > chunkSize) {
        const parts: PlannedChunk[] = [];
        for (let offset = 0; offset < file.size; offset += chunkSize) {
          const length = Math.min(chunkSize, file.size - offset);
          parts.push({ index: index++, entries: [{ file, offset, length }], rawSize: length });
        }
        jobs.push({ chunks: parts, splitFile: file });
        continue;
      }
      if (rawSize + file.size > chunkSize) close();
      entries.push({ file, offset: 0, length: file.size });
      rawSize += file.size;
    }
    close();
  }
  return jobs;
}
