/**
 * Freezing a shard that is not open (a COLD tenant): its files are read as
 * they are on disk. Its manifest names the live segments; WAL files from
 * `walStart` on hold writes that were never flushed (a crash while HOT), so
 * they are part of the shard too and replay when it next opens.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ioError } from './errors.ts';
import { listDirectory } from './fs-util.ts';
import { MANIFEST_FILE, readManifest } from './manifest.ts';
import type { ShardFile } from './shard-snapshot.ts';
import { parseWalFileName } from './wal.ts';

/** Hard-links a closed shard's live files from `shardDir` into `stageDir`. */
export async function freezeClosedShard(shardDir: string, stageDir: string): Promise<ShardFile[]> {
  try {
    const manifest = await readManifest(shardDir);
    const relative: string[] = [];
    if (manifest !== undefined) {
      relative.push(MANIFEST_FILE);
      for (const [bucket, names] of Object.entries(manifest.buckets)) for (const name of names) relative.push(`${bucket}/${name}`);
      for (const name of await listDirectory(shardDir)) {
        const generation = parseWalFileName(name);
        if (generation !== undefined && generation >= manifest.walStart) relative.push(name);
      }
    }
    const files: ShardFile[] = [];
    await fsp.mkdir(stageDir, { recursive: true });
    for (const file of relative) {
      const target = path.join(stageDir, file);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.link(path.join(shardDir, file), target);
      const { size } = await fsp.stat(target);
      files.push({ path: file, size });
    }
    return files;
  } catch (error) {
    throw ioError(error, `snapshot closed shard ${shardDir}`);
  }
}
