import { Readable, PassThrough } from 'node:stream';
import type { ProviderCapabilities } from './capabilities.ts';
import { BackupError, ErrorCode, abortError, isAbortLike, throwIfAborted } from './errors.ts';
import { normalizeFolder, normalizeKey, normalizePrefix } from './keys.ts';
import { DEFAULT_PROGRESS_TIMEOUT_MS, ProgressDeadline } from './progress-deadline.ts';
import type {
  BackupProvider,
  ByteRange,
  CallOptions,
  CopyOptions,
  ListOptions,
  Location,
  ObjectInfo,
  ReadOptions,
  WriteBody,
  WriteOptions,
  WriteResult,
} from './provider.ts';

/** What a provider's `_write` receives: the body as a byte stream, and a signal that is always set. */
export interface InternalWriteOptions {
  readonly location: Location | undefined;
  readonly signal: AbortSignal;
  readonly sizeHint: number | undefined;
}

export interface InternalCallOptions {
  readonly location: Location | undefined;
  readonly signal: AbortSignal | undefined;
}

export interface InternalReadOptions extends InternalCallOptions {
  readonly range: ByteRange | undefined;
}

export interface InternalCopyOptions extends InternalCallOptions {
  /** The source's location; `location` is the destination's. */
  readonly from: Location | undefined;
}

/** The operation an error happened in, for messages and for `mapError`. */
export interface ErrorContext {
  readonly operation: 'initialize' | 'put' | 'get' | 'write' | 'read' | 'stat' | 'exists' | 'list' | 'listFolders' | 'delete' | 'copy' | 'close';
  readonly key?: string | undefined;
  readonly location?: Location | undefined;
}

/**
 * The base every provider extends. Its public methods do what all providers
 * must do the same way (validate keys and ranges, check signals, count bytes
 * and report progress, make deletes idempotent, wrap foreign errors) and then
 * call the protected `_method` a provider implements. A provider therefore
 * only talks to its backend, and only ever sees canonical keys.
 */
export abstract class AbstractBackupProvider implements BackupProvider {
  abstract readonly name: string;
  abstract readonly capabilities: ProviderCapabilities;

  abstract homeDir(backupId: string, location?: Location): string;

  /**
   * The progress deadline of every backend call, in ms (0 = none): a call
   * that gets no answer, a write whose body the backend stops taking, a
   * read or listing that stops delivering, for this long, is aborted and
   * fails UNAVAILABLE (which the engine retries). Providers set it from their
   * options (`BACKUP_<PROVIDER>_PROGRESS_TIMEOUT_MS`); default 30 s.
   */
  protected progressTimeoutMs: number = DEFAULT_PROGRESS_TIMEOUT_MS;

  // The private API for implementors. Every `_method` below receives a key
  // that is already canonical (`normalizeKey`: relative, '/'-separated, no
  // `.`/`..`, at most 1024 bytes) and relative to the root: resolve the
  // root and bucket from `options.location` (`resolveRoot`, `resolveBucket`)
  // and the configured ones. Reject with anything: the base passes the error
  // to `mapError` and rejects with the BackupError it returns, or with
  // ABORTED once `options.signal` fired. The base also bounds every call in
  // time (`progressTimeoutMs`), so a `_method` need not.

  /**
   * Required. Store `data` (whole, already a Buffer) under `key`, replacing
   * any previous object; resolve once it is durable. Descriptors go through
   * here, so it should be atomic like `_write` where the backend allows.
   */
  protected abstract _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void>;
  /**
   * Required. Resolve with the whole object `key`. Reject with an error
   * `mapError` turns into NOT_FOUND when it is missing.
   */
  protected abstract _get(key: string, options: InternalCallOptions): Promise<Buffer>;
  /**
   * Required. Store `body` under `key` atomically; see `BackupProvider.write`.
   * `body` is a byte stream the base counts and reports progress from:
   * consume it to its end, then resolve once the object is visible, never
   * before (the base rejects a write that resolves before the body ended).
   * `options.signal` is always set: it fires when the caller aborts, the body
   * fails or the deadline passes; then stop, and leave `key` as it was (and,
   * when the manifest declares `abortCleansUp`, no trace of the write).
   * `options.sizeHint` is a hint for part sizes, never a promise.
   */
  protected abstract _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void>;
  /**
   * Required. Open `key` for streaming; reject (NOT_FOUND) before returning
   * if it is missing. `options.range` is validated by the base and is only
   * ever set when the manifest declares `rangedReads` (the base refuses a
   * range otherwise, and handles a zero length itself): yield exactly those
   * bytes, clipped at the end; an offset at or past the end yields nothing.
   * Errors of the returned stream are wrapped by the base.
   */
  protected abstract _read(key: string, options: InternalReadOptions): Promise<Readable>;
  /**
   * Required. Resolve with the object's size (and `lastModified` if the
   * backend knows it), `key` as given. Reject (NOT_FOUND) if it is missing.
   * The default `_exists` is built on it.
   */
  protected abstract _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo>;
  /**
   * Required. Yield every object whose key starts with `prefix` (canonical: a
   * plain string prefix, possibly `''`), keys relative to the root, across
   * every backend page (`capabilities.listPageSize` keys a request), in any
   * order. Skip what is not an object (directory markers, temp files). A
   * missing bucket or root yields nothing or rejects, as the backend says.
   */
  protected abstract _list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo>;
  /**
   * Required. Remove `key`. Rejecting with NOT_FOUND is fine: the base turns
   * it into success, so `delete` is idempotent.
   */
  protected abstract _delete(key: string, options: InternalCallOptions): Promise<void>;

  /**
   * Optional (default: keep BackupErrors, wrap the rest as IO). Turns a
   * backend error into a BackupError with the right code and a message that
   * says what to check; keep the original as `cause`. Called for every
   * rejection of a `_method` and every error of a `_read` stream.
   * `errorCodeForHttpStatus` gives the codes HTTP statuses share.
   */
  protected mapError(error: unknown, context: ErrorContext): BackupError {
    if (BackupError.is(error)) return error;
    const where = context.key === undefined ? '' : ` ${JSON.stringify(context.key)}`;
    const detail = error instanceof Error ? error.message : String(error);
    return new BackupError(ErrorCode.IO, `${this.name}: ${context.operation}${where} failed: ${detail}`, {
      cause: error,
    });
  }

  /** Probe object written and removed by the default `_initialize`. */
  protected probeKey(): string {
    return `.backup-probe-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /**
   * Optional (default: `_put` then `_delete` of `probeKey()` under the root).
   * Proves access; override to give better messages or to create nothing.
   */
  protected async _initialize(options: InternalCallOptions): Promise<void> {
    const key = this.probeKey();
    await this._put(key, Buffer.from('probe'), options);
    await this._delete(key, options);
  }

  /** Optional (default: `_stat`, with NOT_FOUND meaning false). Override when the backend has a cheaper probe. */
  protected async _exists(key: string, options: InternalCallOptions): Promise<boolean> {
    try {
      await this._stat(key, options);
      return true;
    } catch (error) {
      if (BackupError.is(this.wrap(error, { operation: 'exists', key }, options.signal), ErrorCode.NOT_FOUND)) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Optional, with `capabilities.serverSideCopy` (default: NOT_SUPPORTED).
   * Copy `key` at `options.from` to `key` at `options.location` inside the
   * backend, atomically, replacing what is there; reject (NOT_FOUND) if the
   * source is missing. Reject with NOT_SUPPORTED for a pair of locations or
   * an object the backend cannot copy in one operation (e.g. two endpoints):
   * the caller then streams the object instead.
   */
  protected async _copy(key: string, _options: InternalCopyOptions): Promise<void> {
    throw new BackupError(ErrorCode.NOT_SUPPORTED, `${this.name}: server-side copy of ${JSON.stringify(key)} is not supported`);
  }

  /** Optional (default: nothing). Release clients, sockets and connections; called once by `close`. */
  protected async _close(): Promise<void> {}

  /**
   * Removes what interrupted writes left hidden below `prefix` (temp files,
   * uncommitted uploads). Called by `deletePrefix` after the visible objects
   * are gone. The default does nothing: right for backends whose failed
   * writes leave no trace.
   */
  protected async _purgeLeftovers(_prefix: string, _options: InternalCallOptions): Promise<void> {}

  async initialize(options: CallOptions = {}): Promise<void> {
    const { location, signal } = options;
    throwIfAborted(signal);
    await this.callWithDeadline({ operation: 'initialize', location }, signal, (guard) => this._initialize({ location, signal: guard }));
  }

  async put(key: string, data: Uint8Array | string, options: CallOptions = {}): Promise<void> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data);
    await this.callWithDeadline({ operation: 'put', key: canonical, location }, signal, (guard) => this._put(canonical, bytes, { location, signal: guard }));
  }

  async get(key: string, options: CallOptions = {}): Promise<Buffer> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    return await this.callWithDeadline({ operation: 'get', key: canonical, location }, signal, (guard) => this._get(canonical, { location, signal: guard }));
  }

  async write(key: string, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    const canonical = normalizeKey(key);
    const { location, signal, onProgress, sizeHint } = options;
    throwIfAborted(signal);

    // One controller for the backend call: fires when the caller aborts, and
    // when the body fails, so the SDK stops uploading either way.
    const controller = new AbortController();
    const forwardAbort = (): void => controller.abort(abortError(signal, `write of ${JSON.stringify(canonical)}`));
    signal?.addEventListener('abort', forwardAbort, { once: true });
    // The clock runs while the backend has bytes to take (or the upload to
    // complete) and does not; it stops while the body itself is slow.
    const deadline = this.progressDeadline({ operation: 'write', key: canonical, location }, undefined);
    const onExpired = (): void => controller.abort(deadline.error);
    deadline.signal.addEventListener('abort', onExpired, { once: true });

    let size = 0;
    let bodyError: unknown;
    const source = Readable.from(
      countBytes(
        body,
        (chunkSize) => {
          size += chunkSize;
          onProgress?.(size);
        },
        deadline,
      ),
      { objectMode: false, highWaterMark: 64 * 1024 },
    );
    // The provider reads a relay, not the generator-backed stream: destroying
    // a Readable.from() waits for its generator to resume, which a body stuck
    // in an await never does. The relay ends the write at once.
    const counted = new PassThrough({ highWaterMark: 64 * 1024 });
    // The write's outcome comes from the signal and `bodyError`; a provider
    // that already stopped listening (its pipeline saw the abort first) must
    // not turn the relay's error into an uncaught exception.
    counted.on('error', () => {});
    source.on('error', (error) => {
      if (!controller.signal.aborted) {
        bodyError = error;
        controller.abort(error);
      }
      counted.destroy(error);
    });
    source.pipe(counted);
    const stopBody = (): void => {
      if (!counted.destroyed) counted.destroy(controller.signal.reason as Error);
      if (!source.destroyed) source.destroy();
    };
    controller.signal.addEventListener('abort', stopBody, { once: true });

    try {
      await deadline.race(this._write(canonical, counted, { location, signal: controller.signal, sizeHint }));
      if (controller.signal.aborted) throw controller.signal.reason;
      if (!counted.readableEnded) {
        throw new BackupError(ErrorCode.IO, `${this.name}: write of ${JSON.stringify(canonical)} returned before the body ended`);
      }
      return { size };
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, `write of ${JSON.stringify(canonical)}`);
      if (deadline.error) throw deadline.error;
      if (bodyError !== undefined) {
        if (BackupError.is(bodyError)) throw bodyError;
        throw new BackupError(ErrorCode.IO, `the body of ${JSON.stringify(canonical)} failed: ${describe(bodyError)}`, {
          cause: bodyError,
        });
      }
      throw this.wrap(error, { operation: 'write', key: canonical, location }, signal);
    } finally {
      deadline.done();
      deadline.signal.removeEventListener('abort', onExpired);
      signal?.removeEventListener('abort', forwardAbort);
      controller.signal.removeEventListener('abort', stopBody);
      if (!counted.destroyed && !counted.readableEnded) counted.destroy();
      if (!source.destroyed && !source.readableEnded) source.destroy();
    }
  }

  async read(key: string, options: ReadOptions = {}): Promise<Readable> {
    const canonical = normalizeKey(key);
    const { location, signal, range } = options;
    validateRange(range);
    if (range !== undefined && !this.capabilities.rangedReads) {
      throw new BackupError(ErrorCode.NOT_SUPPORTED, `${this.name}: ranged reads are not supported (capabilities.rangedReads is false)`);
    }
    if (range?.length === 0) {
      // Still a NOT_FOUND for a missing object, as with any other range.
      await this.stat(canonical, { location, signal });
      return Readable.from([]);
    }
    throwIfAborted(signal);
    const context: ErrorContext = { operation: 'read', key: canonical, location };
    // One deadline for the answer and then for every stretch without bytes,
    // paused while the reader, not the backend, is behind.
    let output: PassThrough | undefined;
    const deadline = this.progressDeadline(
      context,
      signal,
      () => output !== undefined && (output.writableNeedDrain || output.readableLength >= output.readableHighWaterMark),
    );
    let source: Readable;
    try {
      source = await deadline.race(this._read(canonical, { location, signal: deadline.signal, range }));
    } catch (error) {
      deadline.done();
      if (deadline.error && !signal?.aborted) throw deadline.error;
      throw this.wrap(error, context, signal);
    }
    output = this.wrapStream(source, context, signal, deadline);
    return output;
  }

  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    return await this.callWithDeadline({ operation: 'stat', key: canonical, location }, signal, (guard) => this._stat(canonical, { location, signal: guard }));
  }

  async exists(key: string, options: CallOptions = {}): Promise<boolean> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    return await this.callWithDeadline({ operation: 'exists', key: canonical, location }, signal, (guard) =>
      this._exists(canonical, { location, signal: guard }),
    );
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const canonical = normalizePrefix(prefix);
    const { location, signal } = options;
    throwIfAborted(signal);
    yield* this.iterateWithDeadline({ operation: 'list', key: canonical, location }, signal, (guard) => this._list(canonical, { location, signal: guard }));
  }

  async *listFolders(folder: string, options: ListOptions = {}): AsyncIterable<string> {
    const canonical = normalizeFolder(folder);
    const { location, signal } = options;
    throwIfAborted(signal);
    const seen = new Set<string>(); // a derived listing meets each folder once per key below it
    const names = this.iterateWithDeadline({ operation: 'listFolders', key: canonical, location }, signal, (guard) =>
      this._listFolders(canonical, { location, signal: guard }),
    );
    for await (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      yield name;
    }
  }

  /**
   * Optional. The folders below `folder` (canonical: `''` or ending in `/`);
   * duplicates are dropped by the caller. This default reads every key below
   * `folder` through `_list`; override it with the backend's delimiter
   * listing (`rootPrefix` and `folderFromCommonPrefix` help).
   */
  protected async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    for await (const { key } of this._list(folder, options)) {
      const slash = key.indexOf('/', folder.length);
      if (slash > folder.length) yield key.slice(folder.length, slash);
    }
  }

  async copy(key: string, options: CopyOptions): Promise<void> {
    const canonical = normalizeKey(key);
    const { location, from, signal } = options;
    throwIfAborted(signal);
    if (this.capabilities.serverSideCopy !== true) {
      throw new BackupError(ErrorCode.NOT_SUPPORTED, `${this.name}: this provider does not declare serverSideCopy`);
    }
    await this.callWithDeadline({ operation: 'copy', key: canonical, location }, signal, (guard) => this._copy(canonical, { location, from, signal: guard }));
  }

  async delete(key: string, options: CallOptions = {}): Promise<void> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      await this.callWithDeadline({ operation: 'delete', key: canonical, location }, signal, (guard) => this._delete(canonical, { location, signal: guard }));
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    }
  }

  async deletePrefix(prefix: string, options: CallOptions = {}): Promise<number> {
    const canonical = normalizePrefix(prefix);
    if (canonical === '') {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'deletePrefix needs a non-empty prefix; it will not empty a whole location');
    }
    const { location, signal } = options;
    let removed = 0;
    // Delete in small batches while listing, so memory stays flat for huge prefixes.
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      await Promise.all(batch.map((key) => this.delete(key, { location, signal })));
      removed += batch.length;
      batch = [];
    };
    for await (const info of this.list(canonical, { location, signal })) {
      batch.push(info.key);
      if (batch.length === DELETE_BATCH) await flush();
    }
    await flush();
    await this.callWithDeadline({ operation: 'delete', key: canonical, location }, signal, (guard) =>
      this._purgeLeftovers(canonical, { location, signal: guard }),
    );
    return removed;
  }

  async close(): Promise<void> {
    try {
      await this._close();
    } catch (error) {
      throw this.wrap(error, { operation: 'close' }, undefined);
    }
  }

  private progressDeadline(context: ErrorContext, signal: AbortSignal | undefined, excused?: () => boolean): ProgressDeadline {
    const what = `${this.name}: ${context.operation}${context.key === undefined ? '' : ` of ${JSON.stringify(context.key)}`}`;
    return new ProgressDeadline(this.progressTimeoutMs, what, signal, excused);
  }

  /** Runs one backend call under a progress deadline (an answer is its only progress), mapping its errors. */
  private async callWithDeadline<T>(context: ErrorContext, signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = this.progressDeadline(context, signal);
    try {
      return await deadline.race(call(deadline.signal));
    } catch (error) {
      if (deadline.error && !signal?.aborted) throw deadline.error;
      throw this.wrap(error, context, signal);
    } finally {
      deadline.done();
    }
  }

  /** Iterates a backend listing under a progress deadline that runs only while a page or entry is awaited. */
  private async *iterateWithDeadline<T>(
    context: ErrorContext,
    signal: AbortSignal | undefined,
    open: (signal: AbortSignal) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    const deadline = this.progressDeadline(context, signal);
    const iterator = open(deadline.signal)[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        deadline.touch();
        deadline.resume();
        const next = await deadline.race(iterator.next());
        deadline.pause(); // the consumer's time is not the backend's
        if (next.done) {
          finished = true;
          return;
        }
        throwIfAborted(signal);
        yield next.value;
      }
    } catch (error) {
      if (deadline.error && !signal?.aborted) throw deadline.error;
      throw this.wrap(error, context, signal);
    } finally {
      deadline.done();
      if (!finished) void Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  /** Maps `error`, preferring ABORTED when the caller's signal fired. */
  protected wrap(error: unknown, context: ErrorContext, signal: AbortSignal | undefined): BackupError {
    if (signal?.aborted && !BackupError.is(error, ErrorCode.ABORTED)) return abortError(signal, context.operation);
    if (isAbortLike(error) && !BackupError.is(error)) {
      // Nobody asked for it (the caller's signal did not fire): the connection was cut, a transient failure.
      const detail = error instanceof Error ? error.message : String(error);
      return new BackupError(ErrorCode.UNAVAILABLE, `${this.name}: ${context.operation} was cut off: ${detail}`, { cause: error });
    }
    return this.mapError(error, context);
  }

  /** Re-emits `source` through a stream whose errors are BackupErrors and which stops on abort. */
  private wrapStream(source: Readable, context: ErrorContext, signal: AbortSignal | undefined, deadline: ProgressDeadline): PassThrough {
    const output = new PassThrough({ highWaterMark: 64 * 1024 });
    deadline.touch();
    source.on('data', () => deadline.touch());
    const onStalled = (): void => {
      if (!deadline.error) return;
      source.destroy();
      output.destroy(deadline.error);
    };
    deadline.signal.addEventListener('abort', onStalled, { once: true });
    const stopClock = (): void => {
      deadline.done();
      deadline.signal.removeEventListener('abort', onStalled);
    };
    source.once('end', stopClock);
    output.once('close', stopClock);
    const onAbort = (): void => {
      const error = abortError(signal, `read of ${JSON.stringify(context.key)}`);
      source.destroy();
      output.destroy(error);
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const detach = (): void => signal?.removeEventListener('abort', onAbort);
    source.once('error', (error) => {
      detach();
      output.destroy(deadline.error && !signal?.aborted ? deadline.error : this.wrap(error, context, signal));
    });
    output.once('close', () => {
      detach();
      if (!source.destroyed) source.destroy();
    });
    // Stay subscribed until the consumer is done: bytes still buffered in
    // `output` after the source ended must not be delivered past an abort.
    output.once('end', detach);
    source.pipe(output);
    return output;
  }
}

const DELETE_BATCH = 16;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function* countBytes(body: WriteBody, onChunk: (size: number) => void, deadline: ProgressDeadline): AsyncGenerator<Buffer> {
  const iterator = eachOf(body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      // Waiting for the body is not the backend's time; being asked for more is its progress.
      deadline.pause();
      const next = await iterator.next();
      deadline.resume();
      deadline.touch();
      if (next.done) return;
      const chunk = next.value;
      if (!(chunk instanceof Uint8Array)) {
        throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a write body must yield Uint8Array chunks');
      }
      if (chunk.byteLength === 0) continue;
      onChunk(chunk.byteLength);
      yield toBuffer(chunk);
    }
  } finally {
    deadline.resume();
    await iterator.return?.(undefined);
  }
}

async function* eachOf(body: WriteBody): AsyncGenerator<unknown> {
  for await (const chunk of body as AsyncIterable<unknown>) yield chunk;
}

function validateRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid range offset ${String(offset)}`);
  }
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid range length ${String(length)}`);
  }
}
