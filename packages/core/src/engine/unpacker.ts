import { rm } from 'node:fs/promises';
import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { Codec } from '../format/compression-spec.ts';
import type { ChunkRecord, FileRecord } from '../format/descriptors.ts';
import { byteWatermark } from './byte-watermark.ts';
import { inThreadJobDecoder, type JobDecoder } from './chunk-decoder.ts';
import { fetchChunk } from './chunk-fetch.ts';
import type { ChunkWorkerPool } from './chunk-worker-pool.ts';
import { DEFAULT_RETRY_POLICY, isTransient, withChunkRetries, type ChunkEvents, type RetryPolicy } from './retry.ts';
import { safeEntryPath } from './safe-extract.ts';

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
  const decoder = options.workers?.jobDecoder(job.splitFile !== undefined, options.provider) ?? inThreadJobDecoder(job.splitFile !== undefined);
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

/** Downloads one chunk and hands it to the decoder (see `fetchChunk`), or lets a decoder with a provider of its own do both. */
async function unpackChunk(chunk: ChunkRecord, options: UnpackOptions, decoder: JobDecoder, last: boolean): Promise<string | undefined> {
  const { provider, location, signal } = options;
  const source = { location, retry: options.retry ?? DEFAULT_RETRY_POLICY };
  const decoding = {
    codec: chunk.codec ?? options.codec,
    directory: options.directory,
    signal,
    onBytes: options.onBytes,
    dataKey: options.dataKeyFor?.(chunk),
  };
  if (decoder.fetch) return await decoder.fetch(chunk, source, decoding, last);
  return await fetchChunk(chunk, provider, source, signal, (input) => decoder.decode(chunk, input, decoding, last));
}
