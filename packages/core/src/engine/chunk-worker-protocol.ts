/**
 * The messages between the main thread and a chunk worker (chunk-worker.ts),
 * and how errors cross the thread boundary: a structured clone drops the
 * class, so a BackupError travels as its code and message and is rebuilt on
 * the other side, and any other error keeps its name and `code` (which
 * `isAbortLike`, `isTransient` and the packer's ENOENT mapping read).
 */
import { BackupError, type ErrorCode } from '../errors.ts';
import type { Codec, CompressionSpec } from '../format/compression-spec.ts';
import type { ChunkRecord } from '../format/descriptors.ts';
import type { WriteResult } from '../provider.ts';
import type { ChunkSource } from './chunk-decoder.ts';
import type { ChunkTarget, EncodedChunk } from './chunk-encoder.ts';

/** Stored bytes travel in batches of this size: one message per MiB keeps per-message cost small. */
export const BATCH_BYTES = 1024 * 1024;
/** Batches in flight per direction and operation before the sender waits for a credit. */
export const CREDITS = 4;

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** BackupError code, or the system error's code (e.g. ENOENT). */
  readonly code?: string | undefined;
  readonly backup: boolean;
  readonly stack?: string | undefined;
}

export interface WireEntry {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** A provider the worker builds for itself: `import(entry).backupModule.fromEnv(env)`, kept by `id`. */
export interface WireProvider {
  readonly id: number;
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
}

export type ToWorker =
  /**
   * A new job starts on this worker (a worker may run a few at once, each
   * with its own state): a split file's running hash starts empty.
   */
  | { readonly t: 'job'; readonly job: number; readonly split: boolean }
  /** The job's last attempt's chunk was stored (or verified): the split file's hash moves past it. */
  | { readonly t: 'commit'; readonly job: number }
  /** The job ended: forget its state. */
  | { readonly t: 'job-end'; readonly job: number }
  | {
      readonly t: 'encode';
      readonly id: number;
      readonly job: number;
      readonly entries: readonly WireEntry[];
      readonly root: string;
      readonly compression: CompressionSpec;
      readonly encryptionKey?: Uint8Array | undefined;
      readonly last: boolean;
    }
  | {
      readonly t: 'decode';
      readonly id: number;
      readonly job: number;
      readonly chunk: ChunkRecord;
      readonly codec: Codec;
      readonly directory: string;
      readonly dataKey?: Uint8Array | undefined;
      readonly last: boolean;
    }
  /** Encode and write the chunk with the worker's own provider: no stored byte comes back. */
  | {
      readonly t: 'store';
      readonly id: number;
      readonly job: number;
      readonly entries: readonly WireEntry[];
      readonly root: string;
      readonly compression: CompressionSpec;
      readonly encryptionKey?: Uint8Array | undefined;
      readonly last: boolean;
      readonly provider: WireProvider;
      readonly target: ChunkTarget;
    }
  /** Read the chunk with the worker's own provider and decode it: no stored byte goes to the worker. */
  | {
      readonly t: 'fetch';
      readonly id: number;
      readonly job: number;
      readonly chunk: ChunkRecord;
      readonly codec: Codec;
      readonly directory: string;
      readonly dataKey?: Uint8Array | undefined;
      readonly last: boolean;
      readonly provider: WireProvider;
      readonly source: ChunkSource;
    }
  /** The pool is closing: close the providers, then end. */
  | { readonly t: 'close' }
  | { readonly t: 'credit'; readonly id: number; readonly n: number }
  /** Restore input: a batch of stored bytes, the end, or why the download failed. */
  | { readonly t: 'input'; readonly id: number; readonly buffer: ArrayBuffer }
  | { readonly t: 'input-end'; readonly id: number }
  | { readonly t: 'input-error'; readonly id: number; readonly error: SerializedError }
  /** Stop the operation: an upload failed, or the caller aborted. */
  | { readonly t: 'stop'; readonly id: number; readonly error: SerializedError };

export type FromWorker =
  | { readonly t: 'data'; readonly id: number; readonly buffer: ArrayBuffer }
  /** File bytes read (backup) or extracted (restore) since the last report. */
  | { readonly t: 'progress'; readonly id: number; readonly bytes: number }
  | { readonly t: 'credit'; readonly id: number; readonly n: number }
  | { readonly t: 'encoded'; readonly id: number; readonly result: EncodedChunk }
  | { readonly t: 'stored'; readonly id: number; readonly result: EncodedChunk; readonly written: WriteResult }
  | { readonly t: 'decoded'; readonly id: number; readonly fileSha256?: string | undefined }
  | { readonly t: 'error'; readonly id: number; readonly error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (BackupError.is(error)) return { name: error.name, message: error.message, code: error.code, backup: true, stack: error.stack };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, backup: false, stack: error.stack };
  }
  return { name: 'Error', message: String(error), backup: false };
}

export function deserializeError(error: SerializedError): Error {
  if (error.backup) {
    const rebuilt = new BackupError(error.code as ErrorCode, error.message);
    if (error.stack) rebuilt.stack = error.stack;
    return rebuilt;
  }
  const rebuilt = new Error(error.message) as Error & { code?: string };
  rebuilt.name = error.name;
  if (error.code !== undefined) rebuilt.code = error.code;
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

/**
 * The ArrayBuffer `buffer` is all of, so it can be transferred without a copy;
 * undefined when it is a slice of a larger one (e.g. of Node's shared pool,
 * which must never be detached) or smaller than `minBytes` (then a batch
 * of them costs less than a message each).
 */
export function wholeArrayBuffer(buffer: Uint8Array, minBytes: number): ArrayBuffer | undefined {
  const backing = buffer.buffer;
  if (!(backing instanceof ArrayBuffer) || buffer.byteLength < minBytes) return undefined;
  return buffer.byteOffset === 0 && buffer.byteLength === backing.byteLength ? backing : undefined;
}

/**
 * Gathers small buffers into batches of about {@link BATCH_BYTES}, copying
 * each byte once, so that a message carries a MiB rather than a 16 KiB codec
 * output or 256 KiB file read.
 */
export class Batcher {
  #batch: Uint8Array = Buffer.allocUnsafeSlow(BATCH_BYTES);
  #filled = 0;

  /** Appends `bytes`; returns the batches that filled up (transfer them). */
  add(bytes: Uint8Array): ArrayBuffer[] {
    const full: ArrayBuffer[] = [];
    let offset = 0;
    while (offset < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - offset, BATCH_BYTES - this.#filled);
      this.#batch.set(bytes.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === BATCH_BYTES) {
        full.push(this.#batch.buffer as ArrayBuffer);
        this.#batch = Buffer.allocUnsafeSlow(BATCH_BYTES); // its own ArrayBuffer, not from the pool
        this.#filled = 0;
      }
    }
    return full;
  }

  /** What is left (possibly nothing), as an ArrayBuffer of its exact size. */
  flush(): ArrayBuffer | undefined {
    if (this.#filled === 0) return undefined;
    const rest = this.#batch.buffer.slice(0, this.#filled) as ArrayBuffer;
    this.#filled = 0;
    return rest;
  }
}

/**
 * Sends every byte of `input` through `send` as transferable ArrayBuffers:
 * a buffer that owns its ArrayBuffer and holds at least `wholeBytes` moves as
 * it is (no copy); smaller pieces and slices are gathered into batches of
 * {@link BATCH_BYTES}. Order is kept. Both directions use it: the worker's
 * encoded output and the main thread's download.
 */
export async function sendInBatches(
  input: AsyncIterable<Uint8Array>,
  wholeBytes: number,
  send: (buffer: ArrayBuffer) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  const batcher = new Batcher();
  for await (const bytes of input) {
    if (stopped()) return;
    const whole = wholeArrayBuffer(bytes, wholeBytes);
    if (whole) {
      const rest = batcher.flush();
      if (rest) await send(rest);
      await send(whole);
      continue;
    }
    for (const full of batcher.add(bytes)) await send(full);
  }
  const rest = batcher.flush();
  if (rest) await send(rest);
}
