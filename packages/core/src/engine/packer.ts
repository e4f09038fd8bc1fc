import { BackupError, ErrorCode, abortError, isAbortLike } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { PackJob, PlannedChunk } from './chunk-plan.ts';
import { inThreadJobEncoder, type JobEncodeOptions, type JobEncoder, type StoredChunk } from './chunk-encoder.ts';
import { storeEncoding } from './chunk-store.ts';
import type { ChunkWorkerPool } from './chunk-worker-pool.ts';
import type { CompressionSpec } from '../format/compression-spec.ts';
import type { ChunkRecord, FileRecord } from '../format/descriptors.ts';
import { byteWatermark } from './byte-watermark.ts';
import { DEFAULT_RETRY_POLICY, withChunkRetries, type ChunkEvents, type RetryPolicy } from './retry.ts';

export interface PackOptions {
  readonly provider: BackupProvider;
  readonly location: Location;
  readonly compression: CompressionSpec;
  /** Data key when the backup is encrypted (passed on to `encodeChunk`). */
  readonly encryptionKey?: Buffer | undefined;
  /** Directory the snapshot's file paths are relative to. */
  readonly root: string;
  /** Object key of chunk number `index`. */
  readonly keyFor: (index: number) => string;
  readonly signal: AbortSignal;
  /** Called with file bytes as they are packed (before compression). */
  readonly onRawBytes?: ((bytes: number) => void) | undefined;
  /** Called with the key of every chunk once it is stored. */
  readonly onChunkStored?: ((key: string) => void) | undefined;
  /** Transient upload failures are retried this way, each attempt re-encoding the chunk from the snapshot. */
  readonly retry?: RetryPolicy | undefined;
  readonly chunkEvents?: ChunkEvents | undefined;
  /** Encode in worker threads when the pool is on (see chunk-worker-pool.ts); default: in this thread. */
  readonly workers?: ChunkWorkerPool | undefined;
}

export interface PackedJob {
  readonly chunks: ChunkRecord[];
  readonly files: FileRecord[];
}

/**
 * Packs one job's chunks in order: each chunk is encoded (tar, compressed,
 * hashed; see `encodeChunk`) and streamed into `provider.write`. Memory is
 * bounded by the stream buffers and the codec's window, never by file or
 * chunk size.
 */
export async function packJob(job: PackJob, options: PackOptions): Promise<PackedJob> {
  // The parts of a split file go through one encoder in order, so one pass hashes the whole file.
  const encoder = options.workers?.jobEncoder(job.splitFile !== undefined, options.provider) ?? inThreadJobEncoder(job.splitFile !== undefined);
  try {
    return await packWith(encoder, job, options);
  } finally {
    encoder.release();
  }
}

async function packWith(encoder: JobEncoder, job: PackJob, options: PackOptions): Promise<PackedJob> {
  const chunks: ChunkRecord[] = [];
  const files: FileRecord[] = [];
  let fileSha256: string | undefined;
  for (const [i, planned] of job.chunks.entries()) {
    const last = i === job.chunks.length - 1;
    const attemptBytes = byteWatermark(options.onRawBytes);
    const stored = await withChunkRetries(
      options.keyFor(planned.index),
      `upload of ${options.keyFor(planned.index)}`,
      options.retry ?? DEFAULT_RETRY_POLICY,
      // Each attempt hashes the split file from where the previous part left it.
      async () => storeChunk(planned, encoder, { ...options, onRawBytes: attemptBytes(), last }),
      { signal: options.signal, events: options.chunkEvents },
    );
    encoder.commit();
    const { record, wholeFileSha256 } = stored;
    chunks.push(record);
    fileSha256 = wholeFileSha256;
    if (!job.splitFile) {
      for (const entry of record.entries) {
        const file = planned.entries.find((candidate) => candidate.file.path === entry.path)?.file;
        if (entry.sha256 === undefined) throw new BackupError(ErrorCode.IO, `the encoder reported no sha256 for ${entry.path}`);
        files.push({ path: entry.path, shard: file?.shard ?? '', size: entry.length, sha256: entry.sha256, chunks: [record.key] });
      }
    }
  }
  if (job.splitFile) {
    const { path, shard, size } = job.splitFile;
    if (fileSha256 === undefined) throw new BackupError(ErrorCode.IO, `the encoder reported no sha256 for the split file ${path}`);
    files.push({ path, shard, size, sha256: fileSha256, chunks: chunks.map((chunk) => chunk.key) });
  }
  return { chunks, files };
}

async function storeChunk(
  planned: PlannedChunk,
  encoder: JobEncoder,
  options: PackOptions & JobEncodeOptions,
): Promise<{ record: ChunkRecord; wholeFileSha256: string | undefined }> {
  const { provider, location, signal } = options;
  const key = options.keyFor(planned.index);
  const target = { key, location, sizeHint: planned.rawSize };
  let stored: StoredChunk;
  try {
    // A worker with a provider of its own stores the chunk itself; otherwise its bytes come here.
    stored = encoder.store ? await encoder.store(planned, options, target) : await storeEncoding(encoder.encode(planned, options), provider, target, signal);
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `upload of ${key}`);
    throw describeFailure(error, key);
  }
  const { encoded: chunk, written } = stored;
  if (written.size !== chunk.size) {
    throw new BackupError(ErrorCode.IO, `upload of ${key} stored ${written.size} bytes, expected ${chunk.size}`);
  }
  options.onChunkStored?.(key);
  return {
    record: { key, size: chunk.size, sha256: chunk.sha256, rawSize: planned.rawSize, entries: chunk.entries },
    wholeFileSha256: chunk.fileSha256,
  };
}

function describeFailure(error: unknown, key: string): BackupError {
  if (BackupError.is(error)) return error;
  if (isAbortLike(error)) return new BackupError(ErrorCode.ABORTED, `upload of ${key} was aborted`, { cause: error });
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  return new BackupError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.IO, `packing ${key} failed: ${detail}`, {
    cause: error,
  });
}
