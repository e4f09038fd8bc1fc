import { BackupError, ErrorCode } from '@backup/core';
import { ServerAnswerError, UnreachableError } from './rest-client.ts';

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
  /** No such backup, restore, copy or verification (the server answered 404). */
  NOT_FOUND: 4,
  /** The server refused the API key (401/403). */
  UNAUTHORIZED: 5,
  /** The server could not be reached. */
  UNREACHABLE: 6,
  /** The operation ended CANCELED. */
  CANCELED: 7,
  /** Interrupted (Ctrl-C, SIGTERM); a copy resumes when run again. A server-side operation goes on. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error an operation ended with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof ServerAnswerError) return exitCodeForHttp(error.status);
  if (error instanceof UnreachableError) return ExitCode.UNREACHABLE;
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

/** The exit code for a server's refusal. */
export function exitCodeForHttp(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.UNAUTHORIZED;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 400) return ExitCode.USAGE;
  return ExitCode.FAILED;
}

/** The exit code for an operation's final status (verify: FAILED means damaged). */
export function exitCodeForStatus(status: string, kind?: string): ExitCode {
  if (status === 'SUCCESS') return ExitCode.OK;
  if (status === 'CANCELED') return ExitCode.CANCELED;
  if (status === 'FAILED') return kind === 'verify' ? ExitCode.DAMAGED : ExitCode.FAILED;
  return ExitCode.OK; // still running: read, not ended
}
