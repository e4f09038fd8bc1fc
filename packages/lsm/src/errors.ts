/** Turning Node's system errors into `BackupError`s with stable codes. */
import { BackupError, ErrorCode } from '@backup/core';

/** Wraps a file-system error; BackupErrors pass through unchanged. */
export function ioError(error: unknown, what: string): BackupError {
  if (BackupError.is(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return new BackupError(ErrorCode.NOT_FOUND, `${what}: no such file or directory`, { cause: error });
  if (code === 'EEXIST') return new BackupError(ErrorCode.ALREADY_EXISTS, `${what}: already exists`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new BackupError(ErrorCode.ACCESS_DENIED, `${what}: permission denied`, { cause: error });
  return new BackupError(ErrorCode.IO, `${what} failed`, { cause: error });
}

/** The error for stored bytes that fail verification. */
export function corrupt(what: string, cause?: unknown): BackupError {
  return new BackupError(ErrorCode.CORRUPT, what, { cause });
}

export function invalid(what: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, what);
}

export function notFound(what: string): BackupError {
  return new BackupError(ErrorCode.NOT_FOUND, what);
}

export function conflict(what: string): BackupError {
  return new BackupError(ErrorCode.CONFLICT, what);
}

export function alreadyExists(what: string): BackupError {
  return new BackupError(ErrorCode.ALREADY_EXISTS, what);
}
