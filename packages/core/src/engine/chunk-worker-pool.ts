/**
 * Worker threads for the per-byte work of backups and restores (issue #14):
 * each pipeline's job leases one worker (chunk-worker.ts) for all its
 * chunks, so a split file's running hash stays in that worker. A worker
 * runs a few jobs at once when there are more pipelines than the pool's
 * cap (a worker per 2 cores), each job with its own state. A provider
 * with an origin (`providerOrigin`: built by `providersFromEnv` from a module
 * that declares `workerEntry`) is built again in each worker, which then
 * writes and reads the stored bytes itself: the main thread only
 * orchestrates. Any other provider is a user object that stays on the main
 * thread, which then moves batches of stored bytes between it and the worker.
 *
 * Workers start lazily, one per pipeline running at once up to the cap, are
 * reused, stop holding the process open while idle, end after
 * {@link IDLE_MS} idle, and all end on `close()`. A worker that crashes or
 * exits fails the operations it was running (of every job on it) with IO;
 * it is never a crash of the process.
 */
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BackupError, ErrorCode, abortError } from '../errors.ts';
import { providerOrigin } from '../config/provider-origin.ts';
import type { BackupProvider } from '../provider.ts';
import type { ChunkEncoding, ChunkTarget, EncodedChunk, JobEncodeOptions, JobEncoder, StoredChunk } from './chunk-encoder.ts';
import type { PlannedChunk } from './chunk-plan.ts';
import {
  BATCH_BYTES,
  CREDITS,
  deserializeError,
  sendInBatches,
  serializeError,
  type FromWorker,
  type ToWorker,
  type WireEntry,
  type WireProvider,
} from './chunk-worker-protocol.ts';
import type { ChunkRecord } from '../format/descriptors.ts';
import type { ChunkSource, DecodeOptions, JobDecoder } from './chunk-decoder.ts';

/** `on`: always workers; `off`: always this thread; `auto`: workers on machines of {@link AUTO_MIN_CORES} cores or more. */
export type WorkerThreadsMode = 'auto' | 'on' | 'off';

/**
 * Below this many cores `auto` keeps the work in the main thread: on one core
 * a worker only adds a thread to switch to. From 2 cores workers are as fast
 * or faster and keep the requests' thread free (docs/DESIGN.md, "Worker
 * threads", has the figures).
 */
export const AUTO_MIN_CORES = 2;
/** Cores per worker thread (see {@link defaultMaxWorkers}). */
export const CORES_PER_WORKER = 2;
/** Workers the pool may always start: a 2-core machine keeps a worker per pipeline. */
const MIN_WORKERS = 2;
/** An idle worker ends after this long; the next job starts a new one. */
const IDLE_MS = 30_000;
/** How long a closing worker may take to close its providers before it is stopped. */
const CLOSE_MS = 5_000;
/**
 * Each worker's young generation in MiB, far below V8's default (sized for a
 * main thread). A chunk worker makes few objects but many large buffers
 * (256 KiB file reads, 1 MiB codec outputs), freed only when V8 collects
 * their small wrappers: with the default young generation that waited for
 * the isolate's external-memory limit, ≈ 64 MiB of dead buffers per worker.
 * Measured from dist/ (4 pipelines, 512 MiB, BestSpeed, 2 cores, 2026-12-06):
 * peak 348–358 MiB over idle by default, 165–173 with 2 MiB, the backup as
 * fast (7.0–7.3 s either way).
 */
const WORKER_YOUNG_GENERATION_MB = 2;

/** The mode from `BACKUP_WORKER_THREADS` (`auto` when unset); CONFIG for anything else. */
export function workerThreadsMode(env: NodeJS.ProcessEnv = process.env): WorkerThreadsMode {
  const value = (env.BACKUP_WORKER_THREADS ?? '').trim().toLowerCase();
  if (value === '') return 'auto';
  if (value === 'auto' || value === 'on' || value === 'off') return value;
  throw new BackupError(ErrorCode.CONFIG, `BACKUP_WORKER_THREADS must be auto, on or off, not ${JSON.stringify(env.BACKUP_WORKER_THREADS)}`);
}

// The worker sits beside this module with this module's extension: .ts from
// source, .js from dist/, .mjs beside a bundle (the bench bundle relies on it).
const OWN_EXTENSION = /\.[cm]?[jt]s$/.exec(new URL(import.meta.url).pathname)?.[0] ?? '.js';
// biome-ignore lint/style/useTemplate: this exact form is what bundles (the bench's) look for
const WORKER_URL = new URL('./chunk-worker' + OWN_EXTENSION, import.meta.url);

export interface ChunkWorkerPoolOptions {
  readonly mode?: WorkerThreadsMode | undefined;
  /** Cores `auto` and the number of workers are decided by; default `os.availableParallelism()`. */
  readonly cpuCount?: number | undefined;
  /** Most workers at once; more jobs share them. Default {@link defaultMaxWorkers} of `cpuCount`. */
  readonly maxWorkers?: number | undefined;
}

/**
 * One worker per {@link CORES_PER_WORKER} cores, and at least
 * {@link MIN_WORKERS}: the codecs run on libuv's pool, so a worker's own
 * thread has only the jobs' JavaScript (tar, hashing, streams) to do, while
 * each worker costs ≈ 32 MiB of RSS (its isolate, heap and buffers; docs/DESIGN.md).
 */
export function defaultMaxWorkers(cpuCount: number): number {
  return Math.max(MIN_WORKERS, Math.ceil(cpuCount / CORES_PER_WORKER));
}

export class ChunkWorkerPool {
  /** Whether jobs run in workers (else `jobEncoder`/`jobDecoder` return undefined: work in this thread). */
  readonly enabled: boolean;
  readonly #maxWorkers: number;
  readonly #all = new Set<ChunkWorker>();
  readonly #wires = new Map<BackupProvider, WireProvider>();
  #closed = false;

  constructor(options: ChunkWorkerPoolOptions = {}) {
    const mode = options.mode ?? workerThreadsMode();
    const cpuCount = options.cpuCount ?? availableParallelism();
    this.enabled = mode === 'on' || (mode === 'auto' && cpuCount >= AUTO_MIN_CORES);
    this.#maxWorkers = Math.max(1, options.maxWorkers ?? defaultMaxWorkers(cpuCount));
  }

  /** Workers running now (busy or idle). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * An encoder for one backup job on a worker (its own while the pool may
   * start more, else shared with the fewest other jobs), or undefined when
   * the pool is off or closed. With a `provider` the worker can build, the
   * encoder also `store`s: the worker writes the chunk itself.
   */
  jobEncoder(split: boolean, provider?: BackupProvider): JobEncoder | undefined {
    const leased = this.#lease(split);
    if (!leased) return undefined;
    const { worker, job } = leased;
    const encoder: JobEncoder = {
      encode: (planned, options) => worker.encode(job, planned, options),
      commit: () => split && worker.post({ t: 'commit', job }),
      release: () => this.#giveBack(worker, job),
    };
    const wire = provider && this.#wire(provider);
    if (wire) encoder.store = (planned, options, target) => worker.store(job, planned, options, target, wire);
    return encoder;
  }

  /**
   * A decoder for one restore job on a worker (as {@link jobEncoder}), or
   * undefined when the pool is off or closed. With a `provider` the worker
   * can build, the decoder also `fetch`es: the worker reads the chunk itself.
   */
  jobDecoder(split: boolean, provider?: BackupProvider): JobDecoder | undefined {
    const leased = this.#lease(split);
    if (!leased) return undefined;
    const { worker, job } = leased;
    const decoder: JobDecoder = {
      decode: (chunk, input, options, last) => worker.decode(job, chunk, input, options, last),
      commit: () => split && worker.post({ t: 'commit', job }),
      release: () => this.#giveBack(worker, job),
    };
    const wire = provider && this.#wire(provider);
    if (wire) decoder.fetch = (chunk, source, options, last) => worker.fetch(job, chunk, source, options, last, wire);
    return decoder;
  }

  /** How a worker builds its own `provider`, or undefined when it cannot (no origin). */
  #wire(provider: BackupProvider): WireProvider | undefined {
    let wire = this.#wires.get(provider);
    if (wire === undefined) {
      const origin = providerOrigin(provider);
      if (origin === undefined) return undefined;
      wire = { id: this.#wires.size + 1, entry: origin.entry, env: origin.env };
      this.#wires.set(provider, wire);
    }
    return wire;
  }

  /** Ends every worker; later jobs run in this thread. Running operations fail (the engine aborts them first). */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = [...this.#all];
    this.#all.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** A worker for a new job: an idle one, else a new one while under the cap, else the least busy. */
  #lease(split: boolean): { worker: ChunkWorker; job: number } | undefined {
    if (!this.enabled || this.#closed) return undefined;
    let worker: ChunkWorker | undefined;
    for (const candidate of this.#all) if (!candidate.dead && (worker === undefined || candidate.jobs < worker.jobs)) worker = candidate;
    if (worker === undefined || (worker.jobs > 0 && this.#all.size < this.#maxWorkers)) {
      const started = new ChunkWorker(() => this.#forget(started));
      worker = started;
      this.#all.add(worker);
    }
    const job = nextJob++;
    worker.lease();
    worker.post({ t: 'job', job, split });
    return { worker, job };
  }

  #giveBack(worker: ChunkWorker, job: number): void {
    if (worker.dead || this.#closed) return;
    worker.post({ t: 'job-end', job });
    if (worker.release() > 0) return;
    worker.idle(() => {
      this.#forget(worker);
      void worker.terminate();
    });
  }

  #forget(worker: ChunkWorker): void {
    this.#all.delete(worker);
  }
}

interface Operation {
  onMessage(message: FromWorker): void;
  fail(error: Error): void;
}

let nextId = 1;
let nextJob = 1;

/** The main thread's side of one worker thread. */
class ChunkWorker {
  readonly #worker: Worker;
  readonly #operations = new Map<number, Operation>();
  #failure: Error | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #jobs = 0;

  constructor(onDead: () => void) {
    this.#worker = new Worker(WORKER_URL, {
      name: 'backup-chunk-worker',
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.#worker.on('message', (message: FromWorker) => this.#operations.get(message.id)?.onMessage(message));
    const die = (error: Error): void => {
      this.#failure ??= error;
      clearTimeout(this.#idleTimer);
      for (const operation of [...this.#operations.values()]) operation.fail(this.#failure);
      this.#operations.clear();
      onDead();
    };
    this.#worker.on('error', (error) => die(new BackupError(ErrorCode.IO, `a chunk worker thread failed: ${error.message}`, { cause: error })));
    this.#worker.on('messageerror', (error) => die(new BackupError(ErrorCode.IO, `a chunk worker thread sent an unreadable message`, { cause: error })));
    this.#worker.on('exit', (code) => die(new BackupError(ErrorCode.IO, `a chunk worker thread exited (code ${code})`)));
  }

  get dead(): boolean {
    return this.#failure !== undefined;
  }

  /** Jobs running on this worker. */
  get jobs(): number {
    return this.#jobs;
  }

  lease(): void {
    this.#jobs++;
    clearTimeout(this.#idleTimer);
    this.#worker.ref();
  }

  /** A job ended; returns the jobs still running here. */
  release(): number {
    this.#jobs = Math.max(0, this.#jobs - 1);
    return this.#jobs;
  }

  /** Lets the process exit while this worker waits, and ends it after a while. */
  idle(end: () => void): void {
    this.#worker.unref();
    this.#idleTimer = setTimeout(end, IDLE_MS);
    this.#idleTimer.unref();
  }

  /** Lets the worker close the providers it built, then ends it (at once after {@link CLOSE_MS}). */
  async terminate(): Promise<void> {
    const running = !this.dead;
    this.#failure ??= new BackupError(ErrorCode.ABORTED, 'the chunk worker pool was closed');
    clearTimeout(this.#idleTimer);
    if (running) {
      const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
      this.#worker.postMessage({ t: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_MS);
      await exited;
      clearTimeout(timer);
      return;
    }
    await this.#worker.terminate();
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.#failure) throw this.#failure;
    this.#worker.postMessage(message, transfer);
  }

  encode(job: number, planned: PlannedChunk, options: JobEncodeOptions): ChunkEncoding {
    const id = nextId++;
    const { signal } = options;
    let pendingCredit = 0;
    let settled = false;
    const output = new Readable({
      highWaterMark: BATCH_BYTES,
      read: () => {
        if (pendingCredit === 0 || settled) return;
        this.#post({ t: 'credit', id, n: pendingCredit });
        pendingCredit = 0;
      },
    });
    // Its reader (the provider's write) sees a failure; nobody else must have to listen.
    output.on('error', () => {});
    let resolveDone: (result: EncodedChunk) => void = () => {};
    let rejectDone: (error: Error) => void = () => {};
    const done = new Promise<EncodedChunk>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    done.catch(() => {}); // the caller observes it; an upload failure may settle first
    const finish = (error: Error | undefined, result?: EncodedChunk): void => {
      if (settled) return;
      settled = true;
      this.#operations.delete(id);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        rejectDone(error);
        output.destroy(error);
      } else {
        resolveDone(result as EncodedChunk);
        output.push(null);
      }
    };
    const stop = (error: unknown): void => {
      if (settled) return;
      this.#post({ t: 'stop', id, error: serializeError(error) });
    };
    // A cancel answers at once: the worker stops on its own time (it may still be starting),
    // and whatever it still sends for this operation is dropped.
    const onAbort = (): void => {
      stop(signal.reason);
      finish(abortError(signal, `upload of chunk ${planned.index}`));
    };
    // A reader that stops early (an upload that failed or gave up) must stop the worker too.
    output.on('close', () => {
      if (settled) return;
      const early = Object.assign(new Error('the chunk was closed by its reader before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      stop(early);
    });
    this.#operations.set(id, {
      onMessage: (message) => {
        switch (message.t) {
          case 'data':
            if (output.push(Buffer.from(message.buffer))) this.#post({ t: 'credit', id, n: 1 });
            else pendingCredit++;
            return;
          case 'progress':
            return options.onRawBytes?.(message.bytes);
          case 'encoded':
            return finish(undefined, message.result);
          case 'error':
            return finish(deserializeError(message.error));
        }
      },
      fail: (error) => finish(error),
    });
    const key = options.encryptionKey;
    try {
      this.post({
        t: 'encode',
        id,
        job,
        entries: wireEntries(planned),
        root: options.root,
        compression: options.compression,
        encryptionKey: key ? new Uint8Array(key) : undefined,
        last: options.last,
      });
    } catch (error) {
      finish(error as Error);
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return { output, done, stop };
  }

  /**
   * Encodes and writes a chunk in the worker with its own provider. A cancel
   * waits for the worker's answer: its write is aborted, and must have ended
   * before the caller clears the backup's objects away.
   */
  store(job: number, planned: PlannedChunk, options: JobEncodeOptions, target: ChunkTarget, provider: WireProvider): Promise<StoredChunk> {
    const key = options.encryptionKey;
    return this.#run<StoredChunk>(options.signal, options.onRawBytes, (id) => ({
      t: 'store',
      id,
      job,
      entries: wireEntries(planned),
      root: options.root,
      compression: options.compression,
      encryptionKey: key ? new Uint8Array(key) : undefined,
      last: options.last,
      provider,
      target,
    }));
  }

  /** Reads and decodes a chunk in the worker with its own provider; a cancel waits for the worker's answer (it may be extracting). */
  fetch(job: number, chunk: ChunkRecord, source: ChunkSource, options: DecodeOptions, last: boolean, provider: WireProvider): Promise<string | undefined> {
    const key = options.dataKey;
    return this.#run<string | undefined>(options.signal, options.onBytes, (id) => ({
      t: 'fetch',
      id,
      job,
      chunk,
      codec: options.codec,
      directory: options.directory,
      dataKey: key ? new Uint8Array(key) : undefined,
      last,
      provider,
      source,
    }));
  }

  /** One operation whose bytes stay in the worker: progress comes here, then its result or error. */
  #run<T>(signal: AbortSignal, onProgress: ((bytes: number) => void) | undefined, message: (id: number) => ToWorker): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        this.#operations.delete(id);
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      const onAbort = (): void => this.#post({ t: 'stop', id, error: serializeError(signal.reason) });
      this.#operations.set(id, {
        onMessage: (reply) => {
          switch (reply.t) {
            case 'progress':
              return onProgress?.(reply.bytes);
            case 'stored':
              return finish(undefined, { encoded: reply.result, written: reply.written } as T);
            case 'decoded':
              return finish(undefined, reply.fileSha256 as T);
            case 'error':
              return finish(deserializeError(reply.error));
          }
        },
        fail: (error) => finish(error),
      });
      try {
        this.post(message(id));
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  decode(job: number, chunk: ChunkRecord, input: Readable, options: DecodeOptions, last: boolean): Promise<string | undefined> {
    const id = nextId++;
    const { signal } = options;
    let credits = CREDITS;
    let wake: (() => void) | undefined;
    let settled = false;
    let resolve: (fileSha256: string | undefined) => void = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<string | undefined>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const finish = (error: Error | undefined, fileSha256?: string): void => {
      if (settled) return;
      settled = true;
      this.#operations.delete(id);
      signal.removeEventListener('abort', onAbort);
      wake?.();
      if (!input.destroyed) input.destroy();
      if (!error) resolve(fileSha256);
      else reject(signal.aborted ? abortError(signal, `restore of ${chunk.key}`) : error);
    };
    const onAbort = (): void => {
      if (!settled) this.#post({ t: 'stop', id, error: serializeError(signal.reason) });
      finish(abortError(signal));
    };
    this.#operations.set(id, {
      onMessage: (message) => {
        switch (message.t) {
          case 'credit':
            credits += message.n;
            wake?.();
            return;
          case 'progress':
            return options.onBytes?.(message.bytes);
          case 'decoded':
            return finish(undefined, message.fileSha256);
          case 'error':
            return finish(deserializeError(message.error));
        }
      },
      fail: (error) => finish(error),
    });
    const key = options.dataKey;
    try {
      this.post({ t: 'decode', id, job, chunk, codec: options.codec, directory: options.directory, dataKey: key ? new Uint8Array(key) : undefined, last });
    } catch (error) {
      finish(error as Error);
      return promise;
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const send = async (buffer: ArrayBuffer): Promise<void> => {
      while (credits === 0 && !settled) {
        await new Promise<void>((resolveWake) => (wake = resolveWake));
        wake = undefined;
      }
      if (settled) return;
      credits--;
      this.#post({ t: 'input', id, buffer }, [buffer]);
    };
    // The download, moved to the worker in batches under its credits.
    void (async () => {
      try {
        // A download's buffer of its own of 64 KiB or more (e.g. a 256 KiB file read) moves
        // without a copy: measured, that halved the main thread's CPU on restore.
        await sendInBatches(input as AsyncIterable<Buffer>, 64 * 1024, send, () => settled);
        if (!settled) this.#post({ t: 'input-end', id });
      } catch (error) {
        if (!settled) this.#post({ t: 'input-error', id, error: serializeError(error) });
      }
    })();
    return promise;
  }

  /** Posts unless the worker is gone (its operations have then failed already). */
  #post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    if (!this.#failure) this.#worker.postMessage(message, transfer ?? []);
  }
}

function wireEntries(planned: PlannedChunk): WireEntry[] {
  return planned.entries.map((entry) => ({ path: entry.file.path, offset: entry.offset, length: entry.length }));
}
