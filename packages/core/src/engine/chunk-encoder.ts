/**
 * Turns one planned chunk into its stored bytes: a tar stream of its entries,
 * compressed, counted and hashed. It knows nothing of where the bytes go;
 * `packer.ts` streams them into the provider.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { BackupError, ErrorCode } from '../errors.ts';
import { waitForDrain } from './backpressure.ts';
import type { PlannedChunk, PlannedEntry } from './chunk-plan.ts';
import { createChunkEncryptor } from './chunk-cipher.ts';
import { createCompressor } from './compression.ts';
import type { CompressionSpec } from '../format/compression-spec.ts';
import type { ChunkEntryRecord } from '../format/descriptors.ts';
import type { Location, WriteResult } from '../provider.ts';
import { DigestStream } from './digest-stream.ts';

export interface EncodeOptions {
  /** Directory the snapshot's file paths are relative to. */
  readonly root: string;
  readonly compression: CompressionSpec;
  readonly signal: AbortSignal;
  /**
   * The parts of one split file go through one encoder in order; this hash
   * sees all of them, and the last part reports its digest. The parts then
   * record no sha256 of their own (format 2.3, `HashingRecord`).
   */
  readonly wholeFile?: { readonly hash: Hash; readonly last: boolean } | undefined;
  /** Called with file bytes as they are read (before compression). */
  readonly onRawBytes?: ((bytes: number) => void) | undefined;
  /** Data key: the compressed bytes are encrypted before they are hashed and stored (see chunk-cipher.ts). */
  readonly encryptionKey?: Buffer | undefined;
}

/** What a chunk turned out to be once its output has been read to the end. */
export interface EncodedChunk {
  /** Stored (compressed) bytes and their sha256, hex. */
  readonly size: number;
  readonly sha256: string;
  readonly entries: ChunkEntryRecord[];
  /** The whole split file's sha256, on its last part only. */
  readonly fileSha256?: string | undefined;
}

export interface ChunkEncoding {
  /** The chunk's stored bytes. Must be read to the end, or {@link stop}ped. */
  readonly output: Readable;
  /** Settles once `output` has ended (or failed); rejects with the most telling error. */
  readonly done: Promise<EncodedChunk>;
  /** Stops reading files and destroys the streams, e.g. because the upload failed. Idempotent. */
  stop(error: unknown): void;
}

/**
 * Encodes the chunks of one job in order and keeps what spans them: the
 * running hash of a split file. `encode` starts an attempt from the last
 * committed state; `commit` makes the last attempt's state the committed one
 * once its chunk is stored. In this thread (`inThreadJobEncoder`) or in a
 * worker thread (chunk-worker-pool.ts).
 */
export interface JobEncoder {
  encode(planned: PlannedChunk, options: JobEncodeOptions): ChunkEncoding;
  /**
   * Present when the encoder has a provider of its own (a worker thread built
   * it, see `ProviderModule.workerEntry`): encodes and writes the chunk in one
   * step, so its bytes never come to the caller. Fails as `storeEncoding` does.
   */
  store?(planned: PlannedChunk, options: JobEncodeOptions, target: ChunkTarget): Promise<StoredChunk>;
  commit(): void;
  /** The job is over (done or failed): frees what it holds. */
  release(): void;
}

/** Where a chunk goes. */
export interface ChunkTarget {
  readonly key: string;
  readonly location: Location;
  /** Raw bytes in the chunk (the provider's `sizeHint`). */
  readonly sizeHint: number;
}

/** A chunk encoded and written: what the encoder saw and what the provider stored. */
export interface StoredChunk {
  readonly encoded: EncodedChunk;
  readonly written: WriteResult;
}

export interface JobEncodeOptions extends Omit<EncodeOptions, 'wholeFile'> {
  /** The last chunk of the job: a split file's sha256 is reported with it. */
  readonly last: boolean;
}

export function inThreadJobEncoder(split: boolean): JobEncoder {
  let committed = split ? createHash('sha256') : undefined;
  let attempt: Hash | undefined;
  return {
    encode(planned, options) {
      attempt = committed?.copy();
      return encodeChunk(planned, { ...options, wholeFile: attempt && { hash: attempt, last: options.last } });
    },
    commit() {
      committed = attempt;
    },
    release() {},
  };
}

// Fixed metadata so that the same files always make the same tar bytes.
const EPOCH = new Date(0);
const READ_BUFFER = 256 * 1024;

/** Starts encoding `planned`. Memory is bounded by the stream buffers and the codec's window. */
export function encodeChunk(planned: PlannedChunk, options: EncodeOptions): ChunkEncoding {
  const pack = tar.pack();
  const compressor = createCompressor(options.compression);
  const encryptor = options.encryptionKey ? createChunkEncryptor(options.encryptionKey) : undefined;
  const digest = new DigestStream();
  const entries: ChunkEntryRecord[] = [];

  const local = new AbortController();
  const signal = AbortSignal.any([options.signal, local.signal]);
  const stop = (error: unknown): void => {
    if (!local.signal.aborted) local.abort(error);
    if (!pack.destroyed) pack.destroy(); // streamx: no error argument, nobody would listen for it
    for (const stream of [compressor, encryptor, digest]) if (stream && !stream.destroyed) stream.destroy(error as Error);
  };
  const piping = encryptor ? pipeline(Readable.from(pack), compressor, encryptor, digest) : pipeline(Readable.from(pack), compressor, digest);
  piping.catch(stop);
  const feeding = (async () => {
    for (const entry of planned.entries) entries.push(await addEntry(pack, entry, options.root, signal, options));
    pack.finalize();
  })();
  feeding.catch(stop);

  const done = (async (): Promise<EncodedChunk> => {
    const [fed, piped] = await Promise.allSettled([feeding, piping]);
    // A file that could not be read tells more than the codec stream it broke.
    for (const result of [fed, piped]) if (result.status === 'rejected') throw result.reason;
    const { wholeFile } = options;
    const fileSha256 = wholeFile?.last ? wholeFile.hash.digest('hex') : undefined;
    return { size: digest.size, sha256: digest.digest(), entries, fileSha256 };
  })();
  done.catch(() => {}); // the caller observes it; an upload failure may settle first
  return { output: digest, done, stop };
}

async function addEntry(pack: tar.Pack, entry: PlannedEntry, root: string, signal: AbortSignal, options: EncodeOptions): Promise<ChunkEntryRecord> {
  const { file, offset, length } = entry;
  const source =
    length === 0
      ? Readable.from([])
      : createReadStream(join(root, ...file.path.split('/')), {
          start: offset,
          end: offset + length - 1,
          highWaterMark: READ_BUFFER,
        });
  // One pass per byte for the file: a whole file's own hash, or a split file's running hash
  // (its parts record none: the file's sha256 verifies them, the chunk's sha256 names the chunk).
  const hash = options.wholeFile?.hash ?? createHash('sha256');
  const ownHash = options.wholeFile === undefined;
  let size = 0;
  let sink: ReturnType<tar.Pack['entry']> | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ name: file.path, size: length, mode: 0o644, mtime: EPOCH, type: 'file' }, (error) => (error ? reject(error) : resolve()));
    // A destroyed archive destroys the entry being written with the archive's
    // error (e.g. the AbortError Node's iterator makes when an upload stops
    // reading the output), and a streamx 'error' nobody listens for is an
    // uncaught exception: it would end the process. The loop below sees it.
    sink.on('error', reject);
  });
  finished.catch(() => {}); // observed below; a failed read must not leave it unhandled
  const entrySink = sink as NonNullable<typeof sink>;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      signal.throwIfAborted();
      hash.update(chunk);
      size += chunk.byteLength;
      options.onRawBytes?.(chunk.byteLength);
      if (!entrySink.write(chunk)) await waitForDrain(entrySink, signal);
    }
    entrySink.end(undefined);
    await finished;
  } catch (error) {
    source.destroy();
    entrySink.destroy();
    throw error;
  }
  if (size !== length) {
    throw new BackupError(ErrorCode.IO, `${file.path} changed while it was backed up: read ${size} of ${length} bytes`);
  }
  return ownHash ? { path: file.path, offset, length, sha256: hash.digest('hex') } : { path: file.path, offset, length };
}
