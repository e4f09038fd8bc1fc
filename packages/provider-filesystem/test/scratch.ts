import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** A tmpfs folder where there is one (/dev/shm on Linux), else the OS temp dir. */
export function scratchRoot(): string {
  return process.env.BACKUP_TEST_SCRATCH ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
}

/** Every file below `root`, hidden ones included, relative to it. */
export async function rawEntries(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
