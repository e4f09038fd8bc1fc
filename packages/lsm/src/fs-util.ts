/** Small durable-file-system helpers: fsync of directories, atomic replace, removal. */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

/** fsyncs a directory so that renames and unlinks inside it are durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs one file. */
export async function syncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `data` atomically: write a temporary sibling, fsync it,
 * rename it over the target, fsync the directory. A crash leaves the old or
 * the new content, never a mix.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fsp.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, file);
  await syncDirectory(path.dirname(file));
}

/** True when `p` exists (any kind of entry). */
export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes a file or a whole tree; a missing path is fine. */
export async function remove(p: string): Promise<void> {
  await fsp.rm(p, { recursive: true, force: true });
}

/** Lists a directory's entry names; a missing directory is empty. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
}

/** fsyncs every file below `dir` and every directory, deepest first. */
export async function syncTree(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(child);
    else if (entry.isFile()) await syncFile(child);
  }
  await syncDirectory(dir);
}
