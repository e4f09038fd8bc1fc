import { BackupError, ErrorCode, type ErrorContext } from '@backup/core/provider';

const CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: ErrorCode.NOT_FOUND,
  ENOTDIR: ErrorCode.NOT_FOUND,
  EISDIR: ErrorCode.NOT_FOUND,
  EACCES: ErrorCode.ACCESS_DENIED,
  EPERM: ErrorCode.ACCESS_DENIED,
  EROFS: ErrorCode.ACCESS_DENIED,
  EEXIST: ErrorCode.ALREADY_EXISTS,
};

/** Maps a Node system error onto a core code, keeping it as the cause. */
export function mapFsError(error: unknown, context: ErrorContext): BackupError {
  if (BackupError.is(error)) return error;
  const systemCode = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const code = CODES[systemCode] ?? ErrorCode.IO;
  const what = context.key === undefined ? context.operation : `${context.operation} ${JSON.stringify(context.key)}`;
  const detail = error instanceof Error ? error.message : String(error);
  const message = code === ErrorCode.NOT_FOUND ? `filesystem: ${what}: no such object` : `filesystem: ${what} failed: ${detail}`;
  return new BackupError(code, message, { cause: error });
}
