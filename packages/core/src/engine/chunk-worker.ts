/**
 * A chunk worker thread (started by chunk-worker-pool.ts): does a pipeline's
 * per-byte work off the main thread. Backup: reads the files, tars,
 * compresses, encrypts and hashes them (`encodeChunk`) and posts the stored
 * bytes in batches of a MiB. Restore: takes the stored bytes in batches,
 * verifies, decrypts, decompresses, extracts and verifies the files
 * (`decodeChunk`). A split file's running hash lives here, between the chunks
 * of its job (a worker may run a few jobs at once, each with its own). Both
 * directions are flow-controlled by credits (`CREDITS` batches in flight), so
 * memory stays bounded.
 *
 * When the provider can be built here too (`ProviderModule.workerEntry`), the
 * worker also writes (`store`) and reads (`fetch`) the stored bytes with its
 * own instance, and the main thread sees none of them: only the chunk's
 * record, progress, and the outcome.
 *
 * Anything thrown here that escapes an operation is a crash the pool turns
 * into a BackupError on the operations of this worker (never the process's).
 */
import { createHash, type Hash } from 'node:crypto';
import { registerHooks } from 'node:module';
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupProvider, ProviderModule } from '../provider.ts';
import { encodeChunk, type ChunkEncoding } from './chunk-encoder.ts';
import { fetchChunk } from './chunk-fetch.ts';
import { storeEncoding } from './chunk-store.ts';
import { lowerThisThreadPriority } from './thread-priority.ts';
import type { PlannedChunk } from './chunk-plan.ts';
import {
  BATCH_BYTES,
  CREDITS,
  deserializeError,
  sendInBatches,
  serializeError,
  type FromWorker,
  type ToWorker,
  type WireProvider,
} from './chunk-worker-protocol.ts';
import { decodeChunk } from './chunk-decoder.ts';

interface Operation {
  credit?(n: number): void;
  input?(buffer: ArrayBuffer): void;
  inputEnd?(): void;
  inputError?(error: Error): void;
  stop(error: Error): void;
}

const SOURCE_CONDITION = '@backup/source';
const port = parentPort;
if (!port) throw new Error('chunk-worker.ts runs in a worker thread (see chunk-worker-pool.ts)');
// Backup work yields to the requests the main thread answers (thread-priority.ts).
lowerThisThreadPriority();
// Run from TypeScript sources, a provider this worker imports must find `@backup/core` as
// sources too (the same modules as this file's), as the workspace's processes do with
// `--conditions=@backup/source`. An in-thread hook: a worker cannot be given every process flag.
if (import.meta.url.endsWith('.ts')) {
  registerHooks({
    resolve: (specifier, context, nextResolve) => nextResolve(specifier, { ...context, conditions: [...context.conditions, SOURCE_CONDITION] }),
  });
}
const operations = new Map<number, Operation>();

/** A job's split file: its hash up to the last committed chunk, and the running attempt's. */
interface JobState {
  committed: Hash | undefined;
  attempt: Hash | undefined;
}
const jobs = new Map<number, JobState>();

/** The hash a chunk of `job` continues: a copy of the committed one (a retry starts from it again). */
function startAttempt(job: number): Hash | undefined {
  const state = jobs.get(job);
  if (state === undefined) return undefined;
  state.attempt = state.committed?.copy();
  return state.attempt;
}

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port?.postMessage(message, transfer ?? []);
}

/** Reports file bytes about once per MiB. */
function progressReporter(id: number): { add(bytes: number): void; flush(): void } {
  let pending = 0;
  const flush = (): void => {
    if (pending === 0) return;
    post({ t: 'progress', id, bytes: pending });
    pending = 0;
  };
  return {
    add(bytes) {
      pending += bytes;
      if (pending >= BATCH_BYTES) flush();
    },
    flush,
  };
}

/** The worker's own providers, by the pool's id for them; built on first use. */
const providers = new Map<number, Promise<BackupProvider>>();

function providerFor(wire: WireProvider): Promise<BackupProvider> {
  let provider = providers.get(wire.id);
  if (provider === undefined) {
    provider = (async () => {
      const loaded = (await import(wire.entry)) as { backupModule?: Partial<ProviderModule> };
      const fromEnv = loaded.backupModule?.fromEnv;
      if (typeof fromEnv !== 'function') throw new BackupError(ErrorCode.CONFIG, `${wire.entry} does not export a backupModule ({ name, fromEnv })`);
      return fromEnv({ ...wire.env });
    })();
    // A provider that could not be built is tried again by the next chunk (and its error reported each time).
    provider.catch(() => providers.delete(wire.id));
    providers.set(wire.id, provider);
  }
  return provider;
}

function asBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
}

/** Starts encoding the chunk a message names, from the split file's committed hash. */
function startEncoding(message: Extract<ToWorker, { t: 'encode' | 'store' }>, signal: AbortSignal, onRawBytes: (bytes: number) => void): ChunkEncoding {
  const attempt = startAttempt(message.job);
  const planned: PlannedChunk = {
    index: 0,
    entries: message.entries.map((entry) => ({ file: { path: entry.path, size: entry.length, shard: '' }, offset: entry.offset, length: entry.length })),
    rawSize: message.entries.reduce((sum, entry) => sum + entry.length, 0),
  };
  return encodeChunk(planned, {
    root: message.root,
    compression: message.compression,
    signal,
    encryptionKey: asBuffer(message.encryptionKey),
    wholeFile: attempt && { hash: attempt, last: message.last },
    onRawBytes,
  });
}

function encode(message: Extract<ToWorker, { t: 'encode' }>): void {
  const { id } = message;
  const local = new AbortController();
  const progress = progressReporter(id);
  const encoding = startEncoding(message, local.signal, progress.add);
  let credits = CREDITS;
  let wake: (() => void) | undefined;
  let stopped: Error | undefined;
  operations.set(id, {
    credit(n) {
      credits += n;
      wake?.();
    },
    stop(error) {
      stopped ??= error;
      local.abort(error);
      encoding.stop(error);
      wake?.();
    },
  });
  const send = async (buffer: ArrayBuffer): Promise<void> => {
    while (credits === 0) {
      if (stopped) throw stopped;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (stopped) throw stopped;
    credits--;
    progress.flush();
    post({ t: 'data', id, buffer }, [buffer]);
  };
  void (async () => {
    try {
      // A full codec output (1 MiB, a buffer of its own) moves without a copy; smaller
      // pieces (file reads of `none`, tar headers) are batched: fewer messages for the main thread.
      await sendInBatches(encoding.output as AsyncIterable<Buffer>, BATCH_BYTES, send);
      const result = await encoding.done;
      progress.flush();
      post({ t: 'encoded', id, result });
    } catch (error) {
      encoding.stop(error);
      // The encoder's own failure (a file that could not be read) tells more than the stream it broke.
      const reason = await encoding.done.then(
        () => error,
        (failure: unknown) => failure,
      );
      post({ t: 'error', id, error: serializeError(stopped ?? reason) });
    } finally {
      operations.delete(id);
    }
  })();
}

function encodeAndStore(message: Extract<ToWorker, { t: 'store' }>): void {
  const { id } = message;
  const local = new AbortController();
  const progress = progressReporter(id);
  const encoding = startEncoding(message, local.signal, progress.add);
  operations.set(id, {
    stop(error) {
      local.abort(error);
      encoding.stop(error);
    },
  });
  void (async () => {
    try {
      const provider = await providerFor(message.provider);
      const { encoded, written } = await storeEncoding(encoding, provider, message.target, local.signal);
      progress.flush();
      post({ t: 'stored', id, result: encoded, written: { size: written.size } });
    } catch (error) {
      encoding.stop(error);
      post({ t: 'error', id, error: serializeError(error) });
    } finally {
      operations.delete(id);
    }
  })();
}

function fetchAndDecode(message: Extract<ToWorker, { t: 'fetch' }>): void {
  const { id, chunk } = message;
  const hash = startAttempt(message.job);
  const local = new AbortController();
  const progress = progressReporter(id);
  operations.set(id, { stop: (error) => local.abort(error) });
  const options = { codec: message.codec, directory: message.directory, signal: local.signal, onBytes: progress.add, dataKey: asBuffer(message.dataKey) };
  void (async () => {
    try {
      const provider = await providerFor(message.provider);
      await fetchChunk(chunk, provider, message.source, local.signal, (input) => decodeChunk(chunk, input, options, hash));
      progress.flush();
      post({ t: 'decoded', id, fileSha256: message.last && hash ? hash.copy().digest('hex') : undefined });
    } catch (error) {
      post({ t: 'error', id, error: serializeError(error) });
    } finally {
      operations.delete(id);
    }
  })();
}

/** Closes the providers built here (sockets, clients), then ends the thread. */
async function close(): Promise<void> {
  const built = await Promise.allSettled(providers.values());
  await Promise.allSettled(built.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
  process.exit(0);
}

function decode(message: Extract<ToWorker, { t: 'decode' }>): void {
  const { id } = message;
  const hash = startAttempt(message.job);
  const local = new AbortController();
  const progress = progressReporter(id);
  let pendingCredit = 0;
  const input = new Readable({
    highWaterMark: BATCH_BYTES,
    read() {
      if (pendingCredit === 0) return;
      post({ t: 'credit', id, n: pendingCredit });
      pendingCredit = 0;
    },
  });
  input.on('error', () => {}); // decodeChunk reports it
  operations.set(id, {
    input(buffer) {
      if (input.destroyed) return;
      if (input.push(Buffer.from(buffer))) post({ t: 'credit', id, n: 1 });
      else pendingCredit++;
    },
    inputEnd() {
      if (!input.destroyed) input.push(null);
    },
    inputError(error) {
      input.destroy(error);
    },
    stop(error) {
      local.abort(error);
      input.destroy(error);
    },
  });
  void (async () => {
    try {
      await decodeChunk(
        message.chunk,
        input,
        { codec: message.codec, directory: message.directory, signal: local.signal, onBytes: progress.add, dataKey: asBuffer(message.dataKey) },
        hash,
      );
      progress.flush();
      post({ t: 'decoded', id, fileSha256: message.last && hash ? hash.copy().digest('hex') : undefined });
    } catch (error) {
      input.destroy();
      post({ t: 'error', id, error: serializeError(error) });
    } finally {
      operations.delete(id);
    }
  })();
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'job':
      jobs.set(message.job, { committed: message.split ? createHash('sha256') : undefined, attempt: undefined });
      return;
    case 'commit': {
      const state = jobs.get(message.job);
      if (state) state.committed = state.attempt;
      return;
    }
    case 'job-end':
      jobs.delete(message.job);
      return;
    case 'encode':
      return encode(message);
    case 'decode':
      return decode(message);
    case 'store':
      return encodeAndStore(message);
    case 'fetch':
      return fetchAndDecode(message);
    case 'close':
      return void close();
    case 'credit':
      return operations.get(message.id)?.credit?.(message.n);
    case 'input':
      return operations.get(message.id)?.input?.(message.buffer);
    case 'input-end':
      return operations.get(message.id)?.inputEnd?.();
    case 'input-error':
      return operations.get(message.id)?.inputError?.(deserializeError(message.error));
    case 'stop':
      return operations.get(message.id)?.stop(deserializeError(message.error));
  }
});
