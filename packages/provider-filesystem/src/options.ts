import { isAbsolute, resolve } from 'node:path';
import { BackupError, ErrorCode, progressTimeoutFromEnv } from '@backup/core/provider';

export interface FilesystemProviderOptions {
  /** Absolute directory that holds all backups; created if missing. */
  readonly path: string;
  /**
   * Directories that a request's `Path` override may also name (the root always
   * may), or any directory below them. Default: none.
   */
  readonly allowedRoots?: readonly string[] | undefined;
  /** Directory entries read per batch while listing (default 32). */
  readonly listPageSize?: number;
  /**
   * Progress deadline of every request in ms (`BACKUP_FILESYSTEM_PROGRESS_TIMEOUT_MS`, default 30000; 0 = none):
   * a file operation that does not finish or moves no bytes for this long is aborted and fails UNAVAILABLE.
   */
  readonly progressTimeoutMs?: number | undefined;
}

/** Reads `BACKUP_FILESYSTEM_PATH`, the only setting of this provider. */
export function filesystemOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): FilesystemProviderOptions {
  const path = env.BACKUP_FILESYSTEM_PATH;
  if (path === undefined || path.trim() === '') {
    throw new BackupError(ErrorCode.CONFIG, 'BACKUP_FILESYSTEM_PATH is required by backup-filesystem: set it to an absolute directory for backups');
  }
  return {
    path: checkRoot(path, 'BACKUP_FILESYSTEM_PATH'),
    allowedRoots: allowedRootsFromEnv(env.BACKUP_FILESYSTEM_ALLOWED_ROOTS),
    progressTimeoutMs: progressTimeoutFromEnv(env, 'BACKUP_FILESYSTEM_PROGRESS_TIMEOUT_MS'),
  };
}

/** `BACKUP_FILESYSTEM_ALLOWED_ROOTS`: absolute directories separated by `:`; CONFIG naming it otherwise. */
function allowedRootsFromEnv(value: string | undefined): string[] {
  const roots = (value ?? '')
    .split(':')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const root of roots) {
    if (!isAbsolute(root)) {
      throw new BackupError(ErrorCode.CONFIG, `BACKUP_FILESYSTEM_ALLOWED_ROOTS must list absolute directories separated by ':', got ${JSON.stringify(root)}`);
    }
  }
  return roots.map((root) => resolve(root));
}

/** Returns `path` resolved, or fails if it is not absolute. */
export function checkRoot(path: string, what: string): string {
  if (!isAbsolute(path)) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `${what} must be an absolute path, got ${JSON.stringify(path)}`);
  }
  return resolve(path);
}
