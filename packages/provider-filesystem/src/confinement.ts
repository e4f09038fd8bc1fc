import { mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { BackupError, ErrorCode } from '@backup/core/provider';

/** Longest file name and path Linux takes (NAME_MAX, PATH_MAX); longer ones failed as ENAMETOOLONG 500s. */
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4096;

function refused(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, message);
}

/** Whether `path` is `root` or below it (both resolved). */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The lexical rule, checked on every call that names a path override: the
 * resolved path (`..` collapsed) must be one of `allowedRoots` or below one.
 */
export function confine(path: string, allowedRoots: readonly string[]): string {
  const resolved = resolve(path);
  if (!allowedRoots.some((root) => isWithin(resolved, root))) {
    throw refused(
      `${JSON.stringify(path)} is outside the allowed roots (${allowedRoots.join(', ')}); ` +
        'the operator can allow more with BACKUP_FILESYSTEM_ALLOWED_ROOTS',
    );
  }
  for (const segment of resolved.split(sep)) {
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) throw refused(`${JSON.stringify(path)} has a segment longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (Buffer.byteLength(resolved) > MAX_PATH_BYTES) throw refused(`${JSON.stringify(path)} is longer than ${MAX_PATH_BYTES} bytes`);
  return resolved;
}

/**
 * The full rule, before a request starts: the lexical one, then the same on
 * the real path (symlinks resolved), so that a symlink below an allowed root
 * cannot lead out of it; and what exists of the path must be directories.
 * Only `stat`/`realpath` calls, one per existing level: bounded by the depth.
 */
export async function checkConfined(path: string, allowedRoots: readonly string[], signal?: AbortSignal): Promise<void> {
  const resolved = confine(path, allowedRoots);
  // The deepest part of the path that exists, by its real path; the rest does not exist yet.
  let existing = resolved;
  const missing: string[] = [];
  let real: string | undefined;
  while (real === undefined) {
    signal?.throwIfAborted();
    try {
      real = await realpath(existing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw refused(`${JSON.stringify(path)} goes through a file, not a directory`);
      if (code !== 'ENOENT' || dirname(existing) === existing) throw error;
      missing.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
  signal?.throwIfAborted();
  if (!(await stat(real)).isDirectory()) throw refused(`${JSON.stringify(path)}: ${existing} is not a directory`);
  const realRoots = await Promise.all(allowedRoots.map((root) => realpath(root).catch(() => root)));
  const target = join(real, ...missing);
  if (!realRoots.some((root) => isWithin(target, root))) {
    throw refused(`${JSON.stringify(path)} leads outside the allowed roots through a symbolic link (to ${target})`);
  }
}

/**
 * `mkdir -p` that cannot loop: Node's recursive mkdir spins forever below
 * /proc (mkdir answers ENOENT for a parent that exists). Each level is tried
 * at most twice.
 */
export async function makeDirectories(path: string): Promise<void> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      await mkdir(current);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      const parent = dirname(current);
      if (code !== 'ENOENT' || parent === current) throw error;
      missing.push(current);
      current = parent;
    }
  }
  for (const directory of missing.reverse()) {
    try {
      await mkdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
