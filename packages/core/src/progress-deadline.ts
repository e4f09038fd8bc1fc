import { BackupError, ErrorCode } from './errors.ts';

/** Default of every provider's progress timeout (`BACKUP_<PROVIDER>_PROGRESS_TIMEOUT_MS`). */
export const DEFAULT_PROGRESS_TIMEOUT_MS = 30_000;

/**
 * A deadline that moves with progress: if `ms` pass without a `touch()` while
 * it is running, the call it guards is aborted (through `signal`) and
 * `expired` rejects with UNAVAILABLE, a transient error the engine retries.
 * It guards what an SDK's own timeouts miss: a connection that was accepted
 * and then stays silent, a body the backend stops reading, an answer that
 * never comes. `pause()` stops the clock while the caller, not the backend,
 * is the one who is slow.
 */
export class ProgressDeadline {
  readonly #controller = new AbortController();
  readonly #ms: number;
  readonly #what: string;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#caller?.reason);
  /** Re-checked when the clock runs out: true means "not the backend's fault, wait on". */
  readonly #excused: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  #paused = false;
  #error: BackupError | undefined;
  #reject: ((error: BackupError) => void) | undefined;
  /** The signal to hand the backend call: fires on the caller's abort and on expiry. */
  readonly signal: AbortSignal;
  /** Rejects when the deadline expires; never resolves. */
  readonly expired: Promise<never>;

  constructor(ms: number, what: string, caller: AbortSignal | undefined, excused: () => boolean = () => false) {
    this.#ms = ms;
    this.#what = what;
    this.#caller = caller;
    this.#excused = excused;
    this.signal = this.#controller.signal;
    this.expired = new Promise<never>((_, reject) => (this.#reject = reject));
    this.expired.catch(() => {}); // observed through race(); nobody else must see it unhandled
    if (caller?.aborted) this.#onCallerAbort();
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.#arm();
  }

  /** The deadline's error once it expired. */
  get error(): BackupError | undefined {
    return this.#error;
  }

  /** Progress: the clock starts again. */
  touch(): void {
    if (this.#paused || this.#error) return;
    this.#arm();
  }

  pause(): void {
    this.#paused = true;
    clearTimeout(this.#timer);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#error) this.#arm();
  }

  /** `promise`, or the deadline's error if it expires first. */
  race<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => {}); // it may settle after the deadline won
    return Promise.race([promise, this.expired]);
  }

  /** Stops the clock for good and detaches from the caller's signal. */
  done(): void {
    clearTimeout(this.#timer);
    this.#paused = true;
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (!Number.isFinite(this.#ms) || this.#ms <= 0) return; // 0: no deadline
    this.#timer = setTimeout(() => this.#expire(), this.#ms);
  }

  #expire(): void {
    if (this.#paused || this.#controller.signal.aborted) return;
    if (this.#excused()) {
      this.#arm();
      return;
    }
    this.#error = new BackupError(ErrorCode.UNAVAILABLE, `${this.#what} made no progress for ${this.#ms} ms and was aborted`);
    this.#controller.abort(this.#error);
    this.#reject?.(this.#error);
  }
}

/** Checks a progress timeout given in options (ms; 0 turns the deadline off). CONFIG names `what` if bad. */
export function checkProgressTimeout(value: number | undefined, what: string): number {
  if (value === undefined) return DEFAULT_PROGRESS_TIMEOUT_MS;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BackupError(ErrorCode.CONFIG, `${what} must be a whole number of milliseconds ≥ 0 (0 = no deadline), got ${String(value)}`);
  }
  return value;
}

/**
 * Reads a provider's progress timeout from `env[variable]`
 * (`BACKUP_<PROVIDER>_PROGRESS_TIMEOUT_MS`); undefined when unset.
 */
export function progressTimeoutFromEnv(env: NodeJS.ProcessEnv, variable: string): number | undefined {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new BackupError(ErrorCode.CONFIG, `${variable} must be a whole number of milliseconds (0 = no deadline), got ${JSON.stringify(raw)}`);
  }
  return checkProgressTimeout(Number(raw), variable);
}
