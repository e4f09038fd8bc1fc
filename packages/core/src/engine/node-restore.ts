import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import type { BackupProvider } from '../provider.ts';
import type { BackupSource, RestoreTarget } from '../source.ts';
import { backupIdOfKey, nodeDescriptorKey } from '../format/object-keys.ts';
import { decodeNodeDescriptor, isReusedChunk, type CollectionRecord, type NodeDescriptor } from '../format/descriptors.ts';
import { forEachParallel } from './parallel.ts';
import { unwrapDataKey } from './chunk-cipher.ts';
import type { ChunkWorkerPool } from './chunk-worker-pool.ts';
import type { ChunkEvents, RetryPolicy } from './retry.ts';
import type { NodeRestoreRequest, RestoreProgress } from './participant.ts';
import { BackupStatus } from '../format/status.ts';
import { planUnpack, unpackJob, type UnpackJob } from './unpacker.ts';

/** Reads and checks `<id>/<sourceNode>/backup.json`: present, readable, supported version, SUCCESS. */
export async function readNodeDescriptor(provider: BackupProvider, request: NodeRestoreRequest, signal: AbortSignal): Promise<NodeDescriptor> {
  const key = nodeDescriptorKey(request.id, request.sourceNode);
  let bytes: Buffer;
  try {
    bytes = await provider.get(key, { location: request.location, signal });
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
      throw new BackupError(ErrorCode.CORRUPT, `backup ${request.id} is incomplete: ${key} is missing`, { cause: error });
    }
    throw error;
  }
  const descriptor = decodeNodeDescriptor(bytes, key);
  if (descriptor.status !== BackupStatus.SUCCESS) {
    throw new BackupError(ErrorCode.CONFLICT, `backup ${request.id} of node ${request.sourceNode} has status ${descriptor.status}`);
  }
  return descriptor;
}

/** The records of the requested collections this node holds (a collection may have no shard here). */
export function recordsToRestore(descriptor: NodeDescriptor, collections: readonly string[]): CollectionRecord[] {
  const wanted = new Set(collections);
  return descriptor.collections.filter((record) => wanted.has(record.name));
}

/**
 * Fails fast, with BASE_MISSING naming the object, when a chunk this backup
 * reuses from an earlier backup is gone (e.g. removed by hand); one `stat`
 * per reused chunk, before any download.
 */
export async function checkReusedChunks(
  provider: BackupProvider,
  request: NodeRestoreRequest,
  records: readonly CollectionRecord[],
  signal: AbortSignal,
): Promise<void> {
  const reused = records.flatMap((record) => record.chunks.filter((chunk) => isReusedChunk(chunk, request.id)));
  await forEachParallel(reused, 8, signal, async (chunk, jobSignal) => {
    try {
      await provider.stat(chunk.key, { location: request.location, signal: jobSignal });
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
      throw new BackupError(
        ErrorCode.BASE_MISSING,
        `backup ${request.id} reuses ${chunk.key} from backup ${backupIdOfKey(chunk.key)}, and that object is missing`,
        { cause: error },
      );
    }
  });
}

/**
 * The data keys of every encrypted chunk to restore, by wrapped key. Fails
 * with ENCRYPTION_KEY (no key, or not the backup's) before anything is
 * downloaded or prepared.
 */
export function dataKeysFor(descriptor: NodeDescriptor, records: readonly CollectionRecord[], userKey: Buffer | undefined): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const record of records) {
    for (const chunk of record.chunks) {
      const encryption = chunk.encryption ?? descriptor.encryption;
      if (!encryption || keys.has(encryption.wrappedKey)) continue;
      keys.set(encryption.wrappedKey, unwrapDataKey(encryption, userKey, `backup ${descriptor.id} of node ${descriptor.node}`));
    }
  }
  return keys;
}

export interface NodeRestoreContext {
  readonly source: BackupSource;
  readonly provider: BackupProvider;
  readonly pipelines: number;
  readonly signal: AbortSignal;
  readonly retry?: RetryPolicy | undefined;
  readonly chunkEvents?: ChunkEvents | undefined;
  /** The user's key, for encrypted backups. */
  readonly encryptionKey?: Buffer | undefined;
  /** Where chunks are verified and extracted when the pool is on (else in this thread). */
  readonly workers?: ChunkWorkerPool | undefined;
}

/**
 * One node's restore: `stage` prepares a target per collection and downloads,
 * verifies and extracts every chunk into it (installing nothing), `finalize`
 * commits them, `abort` removes whatever is staged and not committed.
 */
export class NodeRestore {
  readonly #descriptor: NodeDescriptor;
  readonly #records: CollectionRecord[];
  readonly #targets = new Map<string, RestoreTarget>();
  readonly #committed = new Set<string>();

  constructor(descriptor: NodeDescriptor, collections: readonly string[]) {
    this.#descriptor = descriptor;
    this.#records = recordsToRestore(descriptor, collections);
  }

  async stage(request: NodeRestoreRequest, context: NodeRestoreContext, progress: RestoreProgress = {}): Promise<void> {
    const { source, provider, signal } = context;
    const dataKeys = dataKeysFor(this.#descriptor, this.#records, context.encryptionKey);
    const dataKeyFor = (chunk: CollectionRecord['chunks'][number]): Buffer | undefined => {
      const encryption = chunk.encryption ?? this.#descriptor.encryption;
      return encryption ? dataKeys.get(encryption.wrappedKey) : undefined;
    };
    for (const record of this.#records) {
      throwIfAborted(signal, `restore ${request.id}`);
      this.#targets.set(record.name, await source.prepareRestore(record.name, { signal, nodeMapping: request.nodeMapping }));
    }
    await progress.onStaging?.([...this.#targets.values()].map((target) => target.directory));
    const jobs: { job: UnpackJob; directory: string }[] = [];
    for (const record of this.#records) {
      const directory = (this.#targets.get(record.name) as RestoreTarget).directory;
      for (const job of planUnpack(record.chunks, record.files)) jobs.push({ job, directory });
    }
    progress.onPlanned?.({
      bytes: this.#records.reduce((sum, record) => sum + record.files.reduce((bytes, file) => bytes + file.size, 0), 0),
      files: this.#records.reduce((sum, record) => sum + record.files.length, 0),
      chunks: this.#records.reduce((sum, record) => sum + record.chunks.length, 0),
    });
    jobs.sort((a, b) => jobBytes(b.job) - jobBytes(a.job));
    await forEachParallel(jobs, context.pipelines, signal, async ({ job, directory }, jobSignal) => {
      await unpackJob(job, {
        provider,
        location: request.location,
        codec: this.#descriptor.compression.codec,
        directory,
        signal: jobSignal,
        onBytes: progress.onBytes,
        retry: context.retry,
        chunkEvents: context.chunkEvents,
        dataKeyFor,
        workers: context.workers,
      });
      const files = job.splitFile ? 1 : job.chunks.reduce((sum, chunk) => sum + chunk.entries.length, 0);
      progress.onDone?.({ files, chunks: job.chunks.length });
    });
  }

  /** Installs every staged collection, each atomically (via `RestoreTarget.commit`). */
  async finalize(): Promise<void> {
    for (const record of this.#records) {
      const target = this.#targets.get(record.name);
      if (!target || this.#committed.has(record.name)) continue;
      await target.commit(record.metadata);
      this.#committed.add(record.name);
    }
  }

  async abort(): Promise<void> {
    const pending = [...this.#targets].filter(([name]) => !this.#committed.has(name));
    await Promise.allSettled(pending.map(([, target]) => target.abort()));
  }
}

function jobBytes(job: UnpackJob): number {
  return job.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
}
