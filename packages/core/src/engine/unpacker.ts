import { createHash, type Hash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { createChunkDecryptor } from './chunk-cipher.ts';
import { createDecompressor, type Codec } from './compression.ts';
import type { ChunkRecord, FileRecord } from './descriptors.ts';
import { DigestStream } from './digest-stream.ts';
import { byteWatermark } from './byte-watermark.ts';
import { DEFAULT_RETRY_POLICY, isTransient, withChunkRetries, type ChunkEvents, type RetryPolicy } from './retry.ts';
import { extractTar, safeEntryPath } from './safe-extract.ts';
import type { ChunkWorkerPool } from './chunk-worker-pool.ts';

export interface UnpackOptions {
  readonly provider: BackupProvider;
  readonly location: Location;
  readonly codec: Codec;
  /** Where the collection is staged (`RestoreTarget.directory`). */
  readonly directory: string;
  readonly signal: AbortSignal;
  /** Called with file bytes as they are extracted (before compression; once per byte across retries). */
  readonly onBytes?: ((bytes: number) => void) | undefined;
  /**
   * Reads that fail transiently are retried this way. A chunk whose bytes do
   * not match its record is read once more too (the damage may have happened
   * in transit); if it still does not match, the restore fails CORRUPT.
   */
  readonly retry?: RetryPolicy | undefined;
  readonly chunkEvents?: ChunkEvents | undefined;
  /** The data key of an encrypted chunk (undefined: not encrypted). */
  readonly dataKeyFor?: ((chunk: ChunkRecord) => Buffer | undefined) | undefined;
  /** Verify and extract in worker threads when the pool is on (see chunk-worker-pool.ts); default: in this thread. */
  readonly workers?: ChunkWorkerPool | undefined;
}

/** Chunks one pipeline unpacks in order: one chunk, or every part of one split file. */
export interface UnpackJob {
  readonly chunks: readonly ChunkRecord[];
  readonly splitFile?: FileRecord | undefined;
}

/** Groups a collection's chunks into jobs; the parts of a split file stay together and in order. */
export function planUnpack(chunks: readonly ChunkRecord[], files: readonly FileRecord[]): UnpackJob[] {
  const byKey = new Map(chunks.map((chunk) => [chunk.key, chunk]));
  const claimed = new Set<string>();
  const jobs: UnpackJob[] = [];
  for (const file of files) {
    if (file.chunks.length < 2) continue;
    const parts = file.chunks.map((key) => {
      const chunk = byKey.get(key);
      if (!chunk) throw new BackupError(ErrorCode.CORRUPT, `descriptor names chunk ${key} for ${file.path} but does not list it`);
      claimed.add(key);
      return chunk;
    });
    jobs.push({ chunks: parts, splitFile: file });
  }
  for (const chunk of chunks) if (!claimed.has(chunk.key)) jobs.push({ chunks: [chunk] });
  return jobs;
}

/**
 * Downloads, verifies and extracts one job's chunks. Every stored byte is
 * hashed on the way in and every extracted entry on the way out; any
 * mismatch of size or sha256, and any archive damage, fails with CORRUPT
 * naming the chunk. Files land only below `directory` (see `extractTar`).
 */
export async function unpackJob(job: UnpackJob, options: UnpackOptions): Promise<void> {
  const decoder = options.workers?.jobDecoder(job.splitFile !== undefined) ?? inThreadJobDecoder(job.splitFile !== undefined);
  try {
    await unpackWith(decoder, job, options);
  } finally {
    decoder.release();
  }
}

async function unpackWith(decoder: JobDecoder, job: UnpackJob, options: UnpackOptions): Promise<void> {
  let fileSha256: string | undefined;
  for (const [i, chunk] of job.chunks.entries()) {
    let corruptReads = 0;
    const attemptBytes = byteWatermark(options.onBytes);
    const last = i === job.chunks.length - 1;
    fileSha256 = await withChunkRetries(
      chunk.key,
      `reading chunk ${chunk.key}`,
      options.retry ?? DEFAULT_RETRY_POLICY,
      async (attempt) => {
        if (attempt > 1) await removeCreatedEntries(chunk, options.directory);
        // Each attempt hashes the split file from where the previous chunk left it.
        return await unpackChunk(chunk, { ...options, onBytes: attemptBytes() }, decoder, last);
      },
      {
        signal: options.signal,
        events: options.chunkEvents,
        retryable: (error) => isTransient(error) || (BackupError.is(error, ErrorCode.CORRUPT) && corruptReads++ === 0),
      },
    );
    decoder.commit();
  }
  if (job.splitFile && fileSha256 !== job.splitFile.sha256) {
    throw new BackupError(
      ErrorCode.CORRUPT,
      `file ${job.splitFile.path} reassembled from chunks ${job.chunks.map((chunk) => chunk.key).join(', ')} has the wrong sha256`,
    );
  }
}

/**
 * Verifies and extracts the chunks of one job in order and keeps what spans
 * them: the running hash of a split file (see `JobEncoder`, its backup twin).
 * `decode` resolves with the split file's sha256 on its last chunk.
 */
export interface JobDecoder {
  decode(chunk: ChunkRecord, input: Readable, options: DecodeOptions, last: boolean): Promise<string | undefined>;
  commit(): void;
  release(): void;
}

export interface DecodeOptions {
  readonly codec: Codec;
  readonly directory: string;
  readonly signal: AbortSignal;
  readonly onBytes?: ((bytes: number) => void) | undefined;
  readonly dataKey?: Buffer | undefined;
}

export function inThreadJobDecoder(split: boolean): JobDecoder {
  let committed = split ? createHash('sha256') : undefined;
  let attempt: Hash | undefined;
  return {
    async decode(chunk, input, options, last) {
      attempt = committed?.copy();
      await decodeChunk(chunk, input, options, attempt);
      return last && attempt ? attempt.copy().digest('hex') : undefined;
    },
    commit() {
      committed = attempt;
    },
    release() {},
  };
}

/** Removes the whole files a failed attempt created (parts of split files are rewritten in place). */
async function removeCreatedEntries(chunk: ChunkRecord, directory: string): Promise<void> {
  for (const entry of chunk.entries) {
    if (entry.offset !== 0 || entry.unused) continue;
    let target: string;
    try {
      target = safeEntryPath(directory, entry.path);
    } catch {
      continue; // never created: extraction refuses such names
    }
    await rm(target, { force: true });
  }
}

/** Downloads one chunk and hands it to the decoder; a chunk missing from the backup is CORRUPT naming it. */
async function unpackChunk(chunk: ChunkRecord, options: UnpackOptions, decoder: JobDecoder, last: boolean): Promise<string | undefined> {
  const { provider, location, signal } = options;
  let input: Readable;
  try {
    input = await provider.read(chunk.key, { location, signal });
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `restore of ${chunk.key}`);
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) throw corruptChunk(chunk, 'the chunk is missing from the backup', error);
    if (BackupError.is(error) && error.code !== ErrorCode.CORRUPT) {
      if (isAbortLike(error)) throw error;
      throw new BackupError(error.code, `chunk ${chunk.key}: ${error.message}`, { cause: error });
    }
    throw corruptChunk(chunk, error instanceof Error ? error.message : String(error), error);
  }
  const decoding = {
    codec: chunk.codec ?? options.codec,
    directory: options.directory,
    signal,
    onBytes: options.onBytes,
    dataKey: options.dataKeyFor?.(chunk),
  };
  return await decoder.decode(chunk, input, decoding, last);
}

function corruptChunk(chunk: ChunkRecord, why: string, cause?: unknown): BackupError {
  return new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} failed verification: ${why}`, { cause });
}

/**
 * Verifies and extracts one downloaded chunk: every stored byte is hashed on
 * the way in, every entry on the way out. Any mismatch and any archive damage
 * is CORRUPT naming the chunk; a download that broke off keeps its own error.
 */
export async function decodeChunk(chunk: ChunkRecord, input: Readable, options: DecodeOptions, wholeFile: Hash | undefined): Promise<void> {
  const { signal } = options;
  const corrupt = (why: string, cause?: unknown): BackupError => corruptChunk(chunk, why, cause);
  let next = 0;
  const expect = (name: string, size: number) => {
    const entry = chunk.entries[next++];
    if (!entry) throw corrupt(`unexpected extra entry ${JSON.stringify(name)} (size ${size})`);
    return entry.unused ? { ...entry, skip: true } : entry;
  };
  const digest = new DigestStream();
  let inputError: unknown;
  try {
    // A download that broke off is a transfer failure, not damaged data: keep its error, so
    // that the stream errors it causes downstream ("premature close") are not read as corruption.
    input.once('error', (error: unknown) => (inputError ??= error));
    const decrypt = options.dataKey ? [createChunkDecryptor(options.dataKey, `chunk ${chunk.key}`)] : [];
    const extracted = await extractTar([input, digest, ...decrypt, createDecompressor(options.codec)], options.directory, {
      signal,
      expect,
      // File bytes as extracted (before compression), as a backup counts them.
      onEntryBytes: (_path: string, bytes: Buffer) => {
        wholeFile?.update(bytes);
        options.onBytes?.(bytes.byteLength);
      },
    });
    for (const [index, entry] of extracted.entries()) {
      const recorded = chunk.entries[index];
      if (!recorded || recorded.sha256 !== entry.sha256 || recorded.length !== entry.length) {
        throw corrupt(`content of ${entry.path} does not match its recorded sha256`);
      }
    }
    if (next !== chunk.entries.length) throw corrupt(`${chunk.entries.length - next} entries are missing`);
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `restore of ${chunk.key}`);
    // biome-ignore lint/suspicious/noCatchAssign: the input's error, when there was one, is the cause to report
    if (inputError !== undefined) error = inputError;
    if (BackupError.is(error, ErrorCode.CORRUPT) && error.message.includes(chunk.key)) throw error;
    if (BackupError.is(error) && error.code !== ErrorCode.CORRUPT) {
      if (isAbortLike(error)) throw error;
      throw new BackupError(error.code, `chunk ${chunk.key}: ${error.message}`, { cause: error });
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw corrupt(digestSummary(digest, chunk) ?? detail, error);
  }
  const summary = digestSummary(digest, chunk);
  if (summary) throw corrupt(summary);
}

/** Why the stored bytes differ from the record, or undefined if they match. */
function digestSummary(digest: DigestStream, chunk: ChunkRecord): string | undefined {
  if (!digest.writableFinished) return undefined;
  if (digest.size !== chunk.size) return `size ${digest.size} bytes, recorded ${chunk.size}`;
  if (digest.digest() !== chunk.sha256) return 'sha256 does not match the recorded one';
  return undefined;
}
