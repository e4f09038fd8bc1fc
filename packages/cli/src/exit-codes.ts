import { BackupError, ErrorCode } from '@backup/core';

/** What `backup` exits with; scripts may rely on these. */
export const ExitCode = {
  /** Done: the backup was copied, or is sound. */
  OK: 0,
  /** The operation failed: no such backup, not SUCCESS, already at the destination, a backend error. */
  FAILED: 1,
  /** Bad arguments or configuration (a missing variable, a backend not enabled). */
  USAGE: 2,
  /** The backup is damaged: a chunk or descriptor failed verification. */
  DAMAGED: 3,
  /** Interrupted (Ctrl-C, SIGTERM); a copy resumes when run again. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error an operation ended with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!BackupError.is(error)) return ExitCode.FAILED;
  switch (error.code) {
    case ErrorCode.CONFIG:
    case ErrorCode.INVALID_ARGUMENT:
      return ExitCode.USAGE;
    case ErrorCode.CORRUPT:
      return ExitCode.DAMAGED;
    case ErrorCode.ABORTED:
      return ExitCode.INTERRUPTED;
    default:
      return ExitCode.FAILED;
  }
}
