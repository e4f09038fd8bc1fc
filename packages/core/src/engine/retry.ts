import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError, ErrorCode, abortError } from '../errors.ts';

/**
 * How the engine retries provider calls that failed transiently (chunk
 * uploads, chunk reads, status writes, cleanup). The providers' SDKs retry
 * single HTTP requests; this retries the engine's unit of work (a whole chunk,
 * re-encoded from the snapshot), so a reset mid-stream or a stalled request
 * costs one attempt, not the backup.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 4; 1 = no retry). */
  readonly attempts: number;
  /** Delay before the first retry; doubles on each further one (default 500 ms). */
  readonly baseDelayMs: number;
  /** Cap of one delay (default 10 s). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 });

/** Checks and completes a partial policy; a bad value rejects with CONFIG naming it. */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> = {}): RetryPolicy {
  const attempts = policy.attempts ?? DEFAULT_RETRY_POLICY.attempts;
  const baseDelayMs = policy.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs;
  const maxDelayMs = policy.maxDelayMs ?? Math.max(DEFAULT_RETRY_POLICY.maxDelayMs, baseDelayMs);
  const check = (value: number, min: number, name: string): void => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new BackupError(ErrorCode.CONFIG, `retry ${name} must be an integer ≥ ${min}, got ${String(value)}`);
    }
  };
  check(attempts, 1, 'attempts');
  check(baseDelayMs, 0, 'baseDelayMs');
  check(maxDelayMs, baseDelayMs, 'maxDelayMs');
  return { attempts, baseDelayMs, maxDelayMs };
}

/**
 * Errors worth another attempt: the backend was unreachable, throttling or
 * stalled (UNAVAILABLE, which includes progress deadlines), or an I/O error
 * of the transfer (IO). Never: a refusal (ACCESS_DENIED, INVALID_ARGUMENT,
 * NOT_FOUND, CONFIG, ...), CORRUPT data, or a cancellation.
 */
export function isTransient(error: unknown): boolean {
  return BackupError.is(error, ErrorCode.UNAVAILABLE) || BackupError.is(error, ErrorCode.IO);
}

/** Delay before retry number `retry` (1-based): exponential, capped, with full jitter in its upper half. */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export interface RetryOptions {
  /** Stops waiting and retrying; the signal's ABORTED error is thrown. */
  readonly signal?: AbortSignal | undefined;
  /** Which errors to retry; default `isTransient`. */
  readonly retryable?: ((error: unknown) => boolean) | undefined;
  /** Told of every failed attempt that will be retried. */
  readonly onRetry?: ((error: unknown, attempt: number) => void) | undefined;
}

/** Where chunk uploads and reads report a retried attempt and a chunk given up (for events and metrics). */
export interface ChunkEvents {
  retried(key: string, error: unknown, attempt: number): void;
  failed(key: string, error: unknown): void;
}

/** `withRetries` for one chunk, telling `events` of every retry and of the final failure (not of an abort). */
export async function withChunkRetries<T>(
  key: string,
  what: string,
  policy: RetryPolicy,
  task: (attempt: number) => Promise<T>,
  options: RetryOptions & { readonly events?: ChunkEvents | undefined },
): Promise<T> {
  const { events } = options;
  try {
    return await withRetries(what, policy, task, {
      ...options,
      onRetry: (error, attempt) => {
        options.onRetry?.(error, attempt);
        events?.retried(key, error, attempt);
      },
    });
  } catch (error) {
    if (!options.signal?.aborted) events?.failed(key, error);
    throw error;
  }
}

/**
 * Runs `task` until it succeeds, fails with an error that is not retryable,
 * or the attempts run out. The error thrown keeps the last cause's code and
 * says how many attempts were made, e.g. "upload of x: 4 attempts failed,
 * last: s3: ... ECONNRESET".
 */
export async function withRetries<T>(what: string, policy: RetryPolicy, task: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal } = options;
  const retryable = options.retryable ?? isTransient;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortError(signal, what);
    try {
      return await task(attempt);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, what);
      if (!retryable(error) || attempt >= policy.attempts) {
        if (attempt === 1) throw error;
        const code = BackupError.is(error) ? error.code : ErrorCode.IO;
        const detail = error instanceof Error ? error.message : String(error);
        throw new BackupError(code, `${what}: ${attempt} attempts failed, last: ${detail}`, { cause: error });
      }
      options.onRetry?.(error, attempt);
      try {
        await sleep(retryDelay(policy, attempt), undefined, signal ? { signal } : undefined);
      } catch {
        throw abortError(signal, what);
      }
    }
  }
}

/**
 * The retry policy from `BACKUP_RETRY_ATTEMPTS`, `BACKUP_RETRY_BASE_DELAY_MS`
 * and `BACKUP_RETRY_MAX_DELAY_MS` (unset: the defaults). A malformed value
 * rejects with CONFIG naming the variable.
 */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const read = (variable: string, min: number): number | undefined => {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
      throw new BackupError(ErrorCode.CONFIG, `${variable} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const attempts = read('BACKUP_RETRY_ATTEMPTS', 1);
  const baseDelayMs = read('BACKUP_RETRY_BASE_DELAY_MS', 0);
  const maxDelayMs = read('BACKUP_RETRY_MAX_DELAY_MS', 0);
  if (maxDelayMs !== undefined && maxDelayMs < (baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs)) {
    throw new BackupError(ErrorCode.CONFIG, 'BACKUP_RETRY_MAX_DELAY_MS must not be below BACKUP_RETRY_BASE_DELAY_MS');
  }
  return resolveRetryPolicy({
    ...(attempts === undefined ? {} : { attempts }),
    ...(baseDelayMs === undefined ? {} : { baseDelayMs }),
    ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
  });
}
