import { Readable, PassThrough } from 'node:stream';
import type { ProviderCapabilities } from './capabilities.ts';
import { BackupError, ErrorCode, abortError, isAbortLike, throwIfAborted } from './errors.ts';
import { normalizeFolder, normalizeKey, normalizePrefix } from './keys.ts';
import type {
  BackupProvider,
  ByteRange,
  CallOptions,
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

/** The operation an error happened in, for messages and for `mapError`. */
export interface ErrorContext {
  readonly operation: 'initialize' | 'put' | 'get' | 'write' | 'read' | 'stat' | 'exists' | 'list' | 'listFolders' | 'delete' | 'close';
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

  protected abstract _put(key: string, data: Buffer, options: InternalCallOptions): Promise<void>;
  protected abstract _get(key: string, options: InternalCallOptions): Promise<Buffer>;
  /** Store `body` under `key` atomically; see `BackupProvider.write`. */
  protected abstract _write(key: string, body: Readable, options: InternalWriteOptions): Promise<void>;
  /** Open `key`; reject with NOT_FOUND before returning if it is missing. `range` is validated. */
  protected abstract _read(key: string, options: InternalReadOptions): Promise<Readable>;
  protected abstract _stat(key: string, options: InternalCallOptions): Promise<ObjectInfo>;
  protected abstract _list(prefix: string, options: InternalCallOptions): AsyncIterable<ObjectInfo>;
  /** Remove `key`; may reject with NOT_FOUND, which the base turns into success. */
  protected abstract _delete(key: string, options: InternalCallOptions): Promise<void>;

  /**
   * Turns a backend error into a BackupError. Providers override it to map
   * their SDK's codes; the default keeps BackupErrors and wraps the rest as IO.
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

  protected async _initialize(options: InternalCallOptions): Promise<void> {
    const key = this.probeKey();
    await this._put(key, Buffer.from('probe'), options);
    await this._delete(key, options);
  }

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
    try {
      await this._initialize({ location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'initialize', location }, signal);
    }
  }

  async put(key: string, data: Uint8Array | string, options: CallOptions = {}): Promise<void> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data);
    try {
      await this._put(canonical, bytes, { location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'put', key: canonical, location }, signal);
    }
  }

  async get(key: string, options: CallOptions = {}): Promise<Buffer> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      return await this._get(canonical, { location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'get', key: canonical, location }, signal);
    }
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

    let size = 0;
    let bodyError: unknown;
    const source = Readable.from(
      countBytes(body, (chunkSize) => {
        size += chunkSize;
        onProgress?.(size);
      }),
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
      await this._write(canonical, counted, { location, signal: controller.signal, sizeHint });
      if (controller.signal.aborted) throw controller.signal.reason;
      if (!counted.readableEnded) {
        throw new BackupError(ErrorCode.IO, `${this.name}: write of ${JSON.stringify(canonical)} returned before the body ended`);
      }
      return { size };
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, `write of ${JSON.stringify(canonical)}`);
      if (bodyError !== undefined) {
        if (BackupError.is(bodyError)) throw bodyError;
        throw new BackupError(ErrorCode.IO, `the body of ${JSON.stringify(canonical)} failed: ${describe(bodyError)}`, {
          cause: bodyError,
        });
      }
      throw this.wrap(error, { operation: 'write', key: canonical, location }, signal);
    } finally {
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
    if (range?.length === 0) {
      // Still a NOT_FOUND for a missing object, as with any other range.
      await this.stat(canonical, { location, signal });
      return Readable.from([]);
    }
    throwIfAborted(signal);
    let source: Readable;
    try {
      source = await this._read(canonical, { location, signal, range });
    } catch (error) {
      throw this.wrap(error, { operation: 'read', key: canonical, location }, signal);
    }
    return this.wrapStream(source, { operation: 'read', key: canonical, location }, signal);
  }

  async stat(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      return await this._stat(canonical, { location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'stat', key: canonical, location }, signal);
    }
  }

  async exists(key: string, options: CallOptions = {}): Promise<boolean> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      return await this._exists(canonical, { location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'exists', key: canonical, location }, signal);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const canonical = normalizePrefix(prefix);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      for await (const info of this._list(canonical, { location, signal })) {
        throwIfAborted(signal);
        yield info;
      }
    } catch (error) {
      throw this.wrap(error, { operation: 'list', key: canonical, location }, signal);
    }
  }

  async *listFolders(folder: string, options: ListOptions = {}): AsyncIterable<string> {
    const canonical = normalizeFolder(folder);
    const { location, signal } = options;
    throwIfAborted(signal);
    const seen = new Set<string>(); // a derived listing meets each folder once per key below it
    try {
      for await (const name of this._listFolders(canonical, { location, signal })) {
        throwIfAborted(signal);
        if (seen.has(name)) continue;
        seen.add(name);
        yield name;
      }
    } catch (error) {
      throw this.wrap(error, { operation: 'listFolders', key: canonical, location }, signal);
    }
  }

  /**
   * The folders below `folder` (canonical: `''` or ending in `/`); duplicates
   * are dropped by the caller. This default reads every key below `folder`
   * through `_list`; override it with the backend's delimiter listing.
   */
  protected async *_listFolders(folder: string, options: InternalCallOptions): AsyncIterable<string> {
    for await (const { key } of this._list(folder, options)) {
      const slash = key.indexOf('/', folder.length);
      if (slash > folder.length) yield key.slice(folder.length, slash);
    }
  }

  async delete(key: string, options: CallOptions = {}): Promise<void> {
    const canonical = normalizeKey(key);
    const { location, signal } = options;
    throwIfAborted(signal);
    try {
      await this._delete(canonical, { location, signal });
    } catch (error) {
      const wrapped = this.wrap(error, { operation: 'delete', key: canonical, location }, signal);
      if (!BackupError.is(wrapped, ErrorCode.NOT_FOUND)) throw wrapped;
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
    try {
      await this._purgeLeftovers(canonical, { location, signal });
    } catch (error) {
      throw this.wrap(error, { operation: 'delete', key: canonical, location }, signal);
    }
    return removed;
  }

  async close(): Promise<void> {
    try {
      await this._close();
    } catch (error) {
      throw this.wrap(error, { operation: 'close' }, undefined);
    }
  }

  /** Maps `error`, preferring ABORTED when the caller's signal fired. */
  protected wrap(error: unknown, context: ErrorContext, signal: AbortSignal | undefined): BackupError {
    if (signal?.aborted && !BackupError.is(error, ErrorCode.ABORTED)) return abortError(signal, context.operation);
    if (isAbortLike(error) && !BackupError.is(error)) {
      return new BackupError(ErrorCode.ABORTED, `${context.operation} was aborted`, { cause: error });
    }
    return this.mapError(error, context);
  }

  /** Re-emits `source` through a stream whose errors are BackupErrors and which stops on abort. */
  private wrapStream(source: Readable, context: ErrorContext, signal: AbortSignal | undefined): Readable {
    const output = new PassThrough({ highWaterMark: 64 * 1024 });
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
      output.destroy(this.wrap(error, context, signal));
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

async function* countBytes(body: WriteBody, onChunk: (size: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a write body must yield Uint8Array chunks');
    }
    if (chunk.byteLength === 0) continue;
    onChunk(chunk.byteLength);
    yield toBuffer(chunk);
  }
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
