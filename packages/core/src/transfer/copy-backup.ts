import { backendName } from '../config/provider-registry.ts';
import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import { decodeGlobalDescriptor, encodeDescriptor, type ChunkRecord } from '../format/descriptors.ts';
import { globalDescriptorKey } from '../format/object-keys.ts';
import { forEachParallel } from '../engine/parallel.ts';
import { openResumingRead } from '../engine/resuming-read.ts';
import { DEFAULT_RETRY_POLICY, isTransient, resolveRetryPolicy, withRetries, type RetryPolicy } from '../engine/retry.ts';
import { validateBackupId } from '../engine/request-validation.ts';
import { BackupStatus } from '../format/status.ts';
import { readCompleteBackup, type BackupManifest } from './backup-manifest.ts';
import { checkStoredChunk, corruptChunk, verifiedChunkBytes } from './chunk-check.ts';
import { homeOf, locationOf, type BackupEndpoint } from './endpoint.ts';

/** Objects copied at once unless told otherwise. */
export const DEFAULT_COPY_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

export interface CopyBackupOptions {
  /** The backup's id; it keeps its id (and every key) at the destination. */
  readonly id: string;
  readonly from: BackupEndpoint;
  readonly to: BackupEndpoint;
  /** Stops the copy; it then rejects with `ABORTED`, leaving what it copied for a later resume. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Chunks copied at once (default 4, at most 64). Each holds about 1 MiB of
   * stream buffers plus what the destination provider buffers per write.
   */
  readonly concurrency?: number | undefined;
  /**
   * When resuming, re-hash the chunks an earlier attempt left at the
   * destination before keeping them (default false: a chunk of the recorded
   * size is kept). Every chunk this function writes was verified on the way,
   * and writes are atomic, so size alone only trusts objects someone else
   * put there under the same key.
   */
  readonly verifyExisting?: boolean | undefined;
  /** Called as bytes move; cheap to ignore, not throttled. */
  readonly onProgress?: ((progress: CopyProgress) => void) | undefined;
  /**
   * How a chunk copy, a descriptor write or the destination's listing that
   * failed transiently (UNAVAILABLE, IO: a reset, a stall past the
   * provider's progress deadline, a 5xx) is retried, as the engine does
   * (default `DEFAULT_RETRY_POLICY`: 4 attempts). A chunk whose bytes do not
   * match its record is read once more (the damage may have happened in
   * transit); if they still do not match, the copy fails CORRUPT.
   */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /**
   * Opt-in (default false). When source and destination are one provider
   * instance that declares `serverSideCopy` (two buckets or paths of one
   * backend), the backend copies each chunk inside itself: no byte passes
   * through this process, which makes a large copy much cheaper, but each
   * chunk is then checked against its recorded size only, so a chunk damaged
   * at the source in place is copied as it is (`verifyBackup` at the
   * destination re-hashes every chunk). By default every chunk streams
   * through here with its sha256 checked on the way, and a damaged one is
   * never copied.
   */
  readonly serverSideCopy?: boolean | undefined;
}

export interface CopyProgress {
  /** Chunks plus descriptors to write. */
  readonly objects: number;
  readonly objectsDone: number;
  /** Of those done, chunks found complete at the destination and not copied again. */
  readonly objectsSkipped: number;
  /** Stored bytes of every chunk. */
  readonly bytes: number;
  /** Chunk bytes copied or found in place so far. */
  readonly bytesDone: number;
}

export interface CopyResult {
  readonly id: string;
  /** The backup's home at the source and at the destination, e.g. `s3://bucket/root/<id>`. */
  readonly from: string;
  readonly to: string;
  readonly objects: number;
  /** Chunks written by this call. */
  readonly copied: number;
  /** Of `copied`, chunks the backend copied inside itself (`serverSideCopy`). */
  readonly copiedServerSide: number;
  /** Chunks an earlier, interrupted copy had already stored. */
  readonly skipped: number;
  /** Stored bytes of the backup's chunks, and how many of them this call moved. */
  readonly bytes: number;
  readonly bytesCopied: number;
  readonly durationMs: number;
}

/** A copy whose preconditions were checked; `run` does the work (once). */
export interface CopyPlan {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly manifest: BackupManifest;
  run(): Promise<CopyResult>;
}

/**
 * Checks everything a copy needs before any byte moves, so that callers (the
 * HTTP API) can refuse at once: a valid id and options; the source backup
 * complete and SUCCESS (NOT_FOUND / CONFLICT / CORRUPT / NOT_SUPPORTED, see
 * `readCompleteBackup`); source and destination not the same place
 * (INVALID_ARGUMENT); no backup of that id at the destination, unless a
 * CANCELED one (ALREADY_EXISTS); and the destination writable (its access
 * probe; a missing bucket is CONFIG).
 */
export async function planCopy(options: CopyBackupOptions): Promise<CopyPlan> {
  const id = validateBackupId(options.id);
  const concurrency = options.concurrency ?? DEFAULT_COPY_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${String(concurrency)}`);
  }
  const retry = resolveRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
  const { from, to, signal } = options;
  const fromHome = homeOf(from, id);
  const toHome = homeOf(to, id);
  if (from.provider === to.provider && fromHome === toHome) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `cannot copy backup ${id} onto itself (${fromHome}): choose another backend, bucket or path`);
  }
  throwIfAborted(signal, `copy of backup ${id}`);
  const manifest = await readCompleteBackup(from, id, signal);
  await assertNoBackupAt(to, id, signal);
  try {
    await to.provider.initialize({ location: locationOf(to), signal });
  } catch (error) {
    if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    // A destination bucket or path the request named is its mistake (422); the configured one is the operator's.
    const where = locationOf(to);
    const code = where.bucket !== undefined || where.path !== undefined ? ErrorCode.INVALID_ARGUMENT : ErrorCode.CONFIG;
    throw new BackupError(code, `backend ${to.provider.name} is not usable: ${error.message}`, { cause: error });
  }

  let started = false;
  return {
    id,
    from: fromHome,
    to: toHome,
    manifest,
    run: async () => {
      if (started) throw new BackupError(ErrorCode.CONFLICT, `this copy of backup ${id} already ran`);
      started = true;
      return await runCopy(options, manifest, concurrency, retry, fromHome, toHome);
    },
  };
}

/**
 * Copies a finished backup from one provider (bucket, path) to another
 * without a database in between: every chunk streams from source to
 * destination (nothing is buffered whole) and is checked against its recorded
 * size and sha256 on the way; a mismatch fails with CORRUPT naming the chunk,
 * and the damaged object is never committed at the destination. Descriptors
 * are written last (each node's `backup.json`, then `backup_config.json`), so
 * a copy that stops midway never looks like a complete backup there. Running
 * the same copy again resumes: chunks already at the destination with the
 * recorded size (and sha256, with `verifyExisting`) are kept. Between two
 * locations of one provider that declares `serverSideCopy`, the backend can
 * copy the chunks itself (opt-in: `CopyBackupOptions.serverSideCopy`).
 *
 * Refusals are those of `planCopy`. A copy cannot overwrite a backup at the
 * destination; delete it there first.
 */
export async function copyBackup(options: CopyBackupOptions): Promise<CopyResult> {
  return await (await planCopy(options)).run();
}

/** ALREADY_EXISTS unless the destination holds no descriptor of `id` (or a CANCELED one, whose id is free again). */
async function assertNoBackupAt(to: BackupEndpoint, id: string, signal: AbortSignal | undefined): Promise<void> {
  const key = globalDescriptorKey(id);
  let bytes: Buffer;
  try {
    bytes = await to.provider.get(key, { location: locationOf(to), signal });
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return;
    throw error;
  }
  let status: string;
  try {
    status = decodeGlobalDescriptor(bytes, key).status;
  } catch {
    status = 'unreadable';
  }
  if (status === BackupStatus.CANCELED) return;
  throw new BackupError(
    ErrorCode.ALREADY_EXISTS,
    `backup "${id}" already exists at "${homeOf(to, id)}" (status ${status}): copy to another bucket or path, or delete it there first`,
  );
}

async function runCopy(
  options: CopyBackupOptions,
  manifest: BackupManifest,
  concurrency: number,
  retry: RetryPolicy,
  fromHome: string,
  toHome: string,
): Promise<CopyResult> {
  const { id, from, to, signal: callerSignal } = options;
  const signal = callerSignal ?? new AbortController().signal;
  const started = Date.now();
  const fromLocation = locationOf(from);
  const toLocation = locationOf(to);
  const progress = {
    objects: manifest.chunks.length + manifest.nodes.length + 1,
    objectsDone: 0,
    objectsSkipped: 0,
    bytes: manifest.storedBytes,
    bytesDone: 0,
  };
  let bytesCopied = 0;
  let copiedServerSide = 0;
  const report = (): void => options.onProgress?.({ ...progress });
  const inside = options.serverSideCopy === true && from.provider === to.provider && from.provider.capabilities.serverSideCopy === true;
  report();

  // One listing instead of a stat per chunk: what an interrupted copy left.
  const present = new Map<string, number>();
  await withRetries(
    `listing ${toHome}`,
    retry,
    async () => {
      present.clear();
      for await (const object of to.provider.list(`${id}/`, { location: toLocation, signal })) present.set(object.key, object.size);
    },
    { signal },
  );

  /** One attempt; the bytes a failed attempt counted are taken back from the progress. */
  const copyChunkOnce = async (chunk: ChunkRecord, jobSignal: AbortSignal): Promise<void> => {
    // Ends the source read once the write stops pulling (done, failed or aborted), even mid-stall.
    const reading = new AbortController();
    const readSignal = AbortSignal.any([jobSignal, reading.signal]);
    let input: AsyncIterable<Buffer>;
    try {
      // A source read that breaks midway goes on from where it broke (ranged reads), not from byte 0.
      input = await openResumingRead(from.provider, chunk.key, { location: fromLocation, signal: readSignal, retry });
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
        throw new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} is missing from the backup at ${fromHome}`, { cause: error });
      }
      throw error;
    }
    const bytes = verifiedChunkBytes(input, chunk, fromHome);
    let written = 0;
    try {
      await to.provider.write(chunk.key, bytes, {
        location: toLocation,
        signal: jobSignal,
        sizeHint: chunk.size,
        onProgress: (total) => {
          progress.bytesDone += total - written;
          bytesCopied += total - written;
          written = total;
          report();
        },
      });
    } catch (error) {
      progress.bytesDone -= written;
      bytesCopied -= written;
      report();
      throw error;
    } finally {
      reading.abort();
    }
  };

  /**
   * The backend copies the chunk inside itself; false when it cannot copy this
   * one (NOT_SUPPORTED: e.g. above its copy limit), which is then streamed.
   */
  const copyChunkInside = async (chunk: ChunkRecord, jobSignal: AbortSignal): Promise<boolean> => {
    const provider = to.provider;
    if (provider.copy === undefined) return false;
    try {
      await provider.copy(chunk.key, { from: fromLocation, location: toLocation, signal: jobSignal });
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_SUPPORTED)) return false;
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
        throw new BackupError(ErrorCode.CORRUPT, `chunk ${chunk.key} is missing from the backup at ${fromHome}`, { cause: error });
      }
      throw error;
    }
    const { size } = await provider.stat(chunk.key, { location: toLocation, signal: jobSignal });
    if (size !== chunk.size) {
      // The source object itself has the wrong size: the copy must not keep it.
      await provider.delete(chunk.key, { location: toLocation, signal: jobSignal });
      throw corruptChunk(chunk, fromHome, `size ${size} bytes, recorded ${chunk.size}`);
    }
    progress.bytesDone += chunk.size;
    bytesCopied += chunk.size;
    copiedServerSide++;
    report();
    return true;
  };

  const copyChunk = async (chunk: ChunkRecord, jobSignal: AbortSignal): Promise<void> => {
    if (present.get(chunk.key) === chunk.size) {
      const kept = !options.verifyExisting || (await checkStoredChunk(to, chunk, { hash: true, signal: jobSignal, retry })).state === 'ok';
      if (kept) {
        progress.objectsDone++;
        progress.objectsSkipped++;
        progress.bytesDone += chunk.size;
        report();
        return;
      }
    }
    let corruptReads = 0;
    let streamed = !inside;
    const attempt = async (): Promise<void> => {
      if (!streamed && (await copyChunkInside(chunk, jobSignal))) return;
      streamed = true; // the backend cannot copy this one: stream it, now and in every retry
      await copyChunkOnce(chunk, jobSignal);
    };
    await withRetries(`copying chunk ${chunk.key}`, retry, attempt, {
      signal: jobSignal,
      retryable: (error) => isTransient(error) || (BackupError.is(error, ErrorCode.CORRUPT) && corruptReads++ === 0),
    });
    progress.objectsDone++;
    report();
  };

  // Largest first, so one big chunk does not start last and run alone.
  const chunks = [...manifest.chunks].sort((a, b) => b.size - a.size);
  await forEachParallel(chunks, concurrency, signal, copyChunk);

  // Descriptors last: node descriptors, then the global one, which makes the copy a backup.
  throwIfAborted(signal, `copy of backup ${id}`);
  await assertNoBackupAt(to, id, signal);
  for (const node of manifest.nodes) {
    await withRetries(`writing ${node.key}`, retry, () => to.provider.put(node.key, node.bytes, { location: toLocation, signal }), { signal });
    progress.objectsDone++;
    report();
  }
  throwIfAborted(signal, `copy of backup ${id}`);
  const global = { ...manifest.global, backend: backendName(to.provider.name) };
  const globalKey = globalDescriptorKey(id);
  await withRetries(`writing ${globalKey}`, retry, () => to.provider.put(globalKey, encodeDescriptor(global), { location: toLocation, signal }), { signal });
  progress.objectsDone++;
  report();

  const skipped = progress.objectsSkipped;
  return {
    id,
    from: fromHome,
    to: toHome,
    objects: progress.objects,
    copied: manifest.chunks.length - skipped,
    copiedServerSide,
    skipped,
    bytes: manifest.storedBytes,
    bytesCopied,
    durationMs: Date.now() - started,
  };
}
