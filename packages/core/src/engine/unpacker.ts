import { createHash, type Hash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { createChunkDecryptor } from './chunk-cipher.ts';
import { createDecompressor } from './compression.ts';
import type { Codec } from '../format/compression-spec.ts';
import type { ChunkRecord, FileRecord } from '../format/descriptors.ts';
import { DigestStream } from './digest-stream.ts';
import { byteWatermark } from './byte-watermark.ts';
import { DEFAULT_RETRY_POLICY, isTransient, withChunkRetries, type ChunkEvents, type RetryPolicy } from './retry.ts';
import { extractTar, safeEntryPath } from './safe-extract.ts';

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
  let wholeFile = job.splitFile ? createHash('sha256') : undefined;
  for (const chunk of job.chunks) {
    let corruptReads = 0;
    const attemptBytes = byteWatermark(options.onBytes);
    wholeFile = await withChunkRetries(
      chunk.key,
      `reading chunk ${chunk.key}`,
      options.retry ?? DEFAULT_RETRY_POLICY,
      async (attempt) => {
        if (attempt > 1) await removeCreatedEntries(chunk, options.directory);
        // Each attempt hashes the split file from where the previous chunk left it.
        const attemptHash = wholeFile?.copy();
        await unpackChunk(chunk, { ...options, onBytes: attemptBytes() }, attemptHash);
        return attemptHash;
      },
      {
        signal: options.signal,
        events: options.chunkEvents,
        retryable: (error) => isTransient(error) || (BackupError.is(error, ErrorCode.CORRUPT) && corruptReads++ === 0),
      },
    );
  }
  if (job.splitFile && wholeFile) {
    const actual = wholeFile.digest('hex');
    if (actual !== job.splitFile.sha256) {
      throw new BackupError(
        ErrorCode.CORRUPT,
        `file ${job.splitFile.path} reassembled from chunks ${job.chunks.map((chunk) => chunk.key).join(', ')} has the wrong sha256`,
      );
    }
  }
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

async function unpackChunk(chunk: ChunkRecord, options: UnpackOptions, wholeFile: Hash | undefined) {
  const { provider, location, signal } = options;
  const corrupt = (why: string, cause?: unknown): BackupError =>
    new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} failed verification: ${why}`, { cause });
  let next = 0;
  const expect = (name: string, size: number) => {
    const entry = chunk.entries[next++];
    if (!entry) throw corrupt(`unexpected extra entry ${JSON.stringify(name)} (size ${size})`);
    return entry.unused ? { ...entry, skip: true } : entry;
  };
  const digest = new DigestStream();
  let inputError: unknown;
  try {
    let input;
    try {
      input = await provider.read(chunk.key, { location, signal });
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) throw corrupt('the chunk is missing from the backup', error);
      throw error;
    }
    // A download that broke off is a transfer failure, not damaged data: keep its error, so
    // that the stream errors it causes downstream ("premature close") are not read as corruption.
    input.once('error', (error: unknown) => (inputError ??= error));
    // File bytes as extracted (before compression), as a backup counts them.
    const dataKey = options.dataKeyFor?.(chunk);
    const decrypt = dataKey ? [createChunkDecryptor(dataKey, `chunk ${chunk.key}`)] : [];
    const extracted = await extractTar([input, digest, ...decrypt, createDecompressor(chunk.codec ?? options.codec)], options.directory, {
      signal,
      expect,
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
