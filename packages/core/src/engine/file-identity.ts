/**
 * How an incremental backup recognises an immutable file without reading it.
 *
 * A source marks files whose bytes never change while they exist
 * (`SnapshotFile.immutable`, e.g. an LSM segment). For those the engine records
 * where the file lives on disk: device, inode and modification time in
 * nanoseconds. A later snapshot's file with the same path, size and identity is
 * the same file, so its sha256 is the one recorded then, and an incremental
 * backup reuses it without hashing it again (Elasticsearch recognises unchanged
 * Lucene files by name, length and checksum the same way; restic and git use
 * inode and mtime to skip reading unchanged files). A copy of the store, a
 * restored store or another machine has new inodes, so its files are hashed
 * once and recorded anew. Mutable files (WAL, manifest) are always hashed.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotFile } from '../source.ts';
import { forEachParallel } from './parallel.ts';

/** `<dev>:<ino>:<mtimeNs>` of each immutable file of a snapshot, by path; `pipelines` stats at a time. */
export async function identifyImmutableFiles(
  files: readonly SnapshotFile[],
  root: string,
  options: { readonly pipelines: number; readonly signal: AbortSignal },
): Promise<Map<string, string>> {
  const identities = new Map<string, string>();
  const immutable = files.filter((file) => file.immutable === true);
  await forEachParallel(immutable, options.pipelines, options.signal, async (file) => {
    const stats = await stat(join(root, ...file.path.split('/')), { bigint: true });
    // A size that disagrees with the snapshot's means the file is not what the source promised: hash it.
    if (stats.size === BigInt(file.size)) identities.set(file.path, `${stats.dev}:${stats.ino}:${stats.mtimeNs}`);
  });
  return identities;
}
