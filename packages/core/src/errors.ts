/**
 * Stable error codes. Callers and tests branch on `code`, never on message text;
 * messages are for people and may change in any release.
 */
export const ErrorCode = {
  /** The object, backup, collection or operation does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** Something with that name exists and must not be replaced. */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The operation was cancelled through its `AbortSignal`. */
  ABORTED: 'ABORTED',
  /** Credentials are missing, wrong or lack a permission. */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** The caller passed something malformed: a bad key, id, range or option. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The provider or store cannot do this (see its capability manifest). */
  NOT_SUPPORTED: 'NOT_SUPPORTED',
  /** The request is valid but clashes with current state (e.g. a backup already running). */
  CONFLICT: 'CONFLICT',
  /** Stored data failed verification: a checksum, size or descriptor mismatch. */
  CORRUPT: 'CORRUPT',
  /**
   * An object an incremental backup reuses from an earlier backup is gone
   * (that backup's objects were removed underneath it); the message names it.
   */
  BASE_MISSING: 'BASE_MISSING',
  /** The backup is encrypted and no key, or not its key, is configured. */
  ENCRYPTION_KEY: 'ENCRYPTION_KEY',
  /** Configuration is missing or invalid (e.g. a required environment variable). */
  CONFIG: 'CONFIG',
  /** The backend is temporarily unreachable or throttling, and retries ran out. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** Any other I/O failure of the backend or the local disk. */
  IO: 'IO',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// Marks a BackupError of any copy of this package: a provider bundled with its
// own copy (a bench bundle's worker), or two versions in one node_modules.
const BRAND = Symbol.for('@backup/core BackupError');

/** The one error class of the project. `cause` carries the SDK or system error it wraps. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get [BRAND](): true {
    return true;
  }

  /** True when `error` is a BackupError (of this or another copy of the package), and (if given) carries `code`. */
  static is(error: unknown, code?: ErrorCode): error is BackupError {
    const branded = error instanceof BackupError || (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true);
    return branded && (code === undefined || (error as BackupError).code === code);
  }
}

/** The ABORTED error for a signal, keeping the signal's reason as the cause. */
export function abortError(signal: AbortSignal | undefined, what = 'operation'): BackupError {
  const reason: unknown = signal?.reason;
  if (BackupError.is(reason)) return reason;
  return new BackupError(ErrorCode.ABORTED, `${what} was aborted`, { cause: reason });
}

/** Throws the ABORTED error if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** True for errors that mean "cancelled", whoever raised them (us, Node streams, SDKs). */
export function isAbortLike(error: unknown): boolean {
  if (BackupError.is(error, ErrorCode.ABORTED)) return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR';
}
