import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import type { BackupProvider } from '../provider.ts';
import type { BackupSource, CollectionSnapshot } from '../source.ts';
import { planChunks, type PackJob } from './chunk-plan.ts';
import {
  FORMAT_VERSION,
  HASHING,
  encodeDescriptor,
  decodeNodeDescriptor,
  type ChunkRecord,
  type CollectionRecord,
  type FileRecord,
  type NodeDescriptor,
} from '../format/descriptors.ts';
import { chunkKey, nodeDescriptorKey } from '../format/object-keys.ts';
import { identifyImmutableFiles } from './file-identity.ts';
import { baseCollection, planReuse } from './incremental-plan.ts';
import { packJob } from './packer.ts';
import type { ChunkWorkerPool } from './chunk-worker-pool.ts';
import { newDataKey } from './chunk-cipher.ts';
import { forEachParallel } from './parallel.ts';
import type { ChunkEvents, RetryPolicy } from './retry.ts';
import type { BackupProgress, NodeBackupRequest } from './participant.ts';
import { BackupStatus } from '../format/status.ts';

export interface NodeBackupContext {
  readonly source: BackupSource;
  readonly provider: BackupProvider;
  readonly node: string;
  readonly pipelines: number;
  readonly signal: AbortSignal;
  readonly retry?: RetryPolicy | undefined;
  /** Told of chunk uploads retried and given up (events of the node). */
  readonly chunkEvents?: ChunkEvents | undefined;
  /** The user's key: when set, every chunk is encrypted under a fresh data key it wraps. */
  readonly encryptionKey?: Buffer | undefined;
  /** Where chunks are encoded when the pool is on (else in this thread). */
  readonly workers?: ChunkWorkerPool | undefined;
}

interface CollectionWork {
  readonly snapshot: CollectionSnapshot;
  readonly chunks: ChunkRecord[];
  readonly files: FileRecord[];
  /** Chunk records taken from the base backup (incremental), listed before this backup's own. */
  reusedChunks: ChunkRecord[];
  remainingJobs: number;
  /** Identities of the snapshot's immutable files, recorded with their file records. */
  identities: ReadonlyMap<string, string>;
}

/**
 * This node's part of a backup: snapshot every collection first (so they are
 * one point in time), then pack all their chunks through `pipelines` parallel
 * pipelines, releasing each snapshot as soon as its last chunk is stored, and
 * finally write `<id>/<node>/backup.json`. Snapshots are released on every path.
 */
export async function backupNode(request: NodeBackupRequest, context: NodeBackupContext, progress: BackupProgress = {}): Promise<NodeDescriptor> {
  const { source, provider, node, signal } = context;
  const location = request.location;
  const work: CollectionWork[] = [];
  try {
    for (const collection of request.collections) {
      throwIfAborted(signal, `backup ${request.id}`);
      const snapshot = await source.snapshot(collection, { signal });
      work.push({ snapshot, chunks: [], files: [], reusedChunks: [], remainingJobs: 0, identities: new Map() });
    }
    throwIfAborted(signal, `backup ${request.id}`);
    progress.onTransferring?.();
    const base = request.incrementalBaseBackupId ? await readBaseDescriptor(provider, request.incrementalBaseBackupId, node, location, signal) : undefined;

    const encryption = context.encryptionKey ? newDataKey(context.encryptionKey) : undefined;
    const jobs: { work: CollectionWork; job: PackJob }[] = [];
    let reusedBytes = 0;
    for (const item of work) {
      item.identities = await identifyImmutableFiles(item.snapshot.files, item.snapshot.root, { pipelines: context.pipelines, signal });
      const reuse = await planReuse(
        item.snapshot.files,
        item.snapshot.root,
        baseCollection(base, item.snapshot.collection),
        base?.compression.codec ?? request.compression.codec,
        base?.encryption,
        { pipelines: context.pipelines, signal, identities: item.identities },
      );
      item.reusedChunks = reuse.chunks;
      item.files.push(...reuse.files);
      reusedBytes += reuse.reusedBytes;
      const planned = planChunks(reuse.toPack, request.chunkSizeBytes);
      item.remainingJobs = planned.length;
      for (const job of planned) jobs.push({ work: item, job });
      if (planned.length === 0) await item.snapshot.release();
    }
    progress.onPlanned?.({
      bytes: reusedBytes + jobs.reduce((sum, { job }) => sum + jobBytes(job), 0),
      files: work.reduce((sum, item) => sum + item.snapshot.files.length, 0),
      chunks: work.reduce((sum, item) => sum + item.reusedChunks.length, 0) + jobs.reduce((sum, { job }) => sum + job.chunks.length, 0),
    });
    // Reused files are done as soon as they are known: their bytes count like packed ones.
    if (reusedBytes > 0) progress.onBytes?.(reusedBytes);
    progress.onDone?.({
      files: work.reduce((sum, item) => sum + item.files.length, 0),
      chunks: work.reduce((sum, item) => sum + item.reusedChunks.length, 0),
    });
    // Big jobs first, so one large file does not start last and run alone.
    jobs.sort((a, b) => jobBytes(b.job) - jobBytes(a.job));
    await forEachParallel(jobs, context.pipelines, signal, async ({ work: item, job }, jobSignal) => {
      const packed = await packJob(job, {
        provider,
        location,
        compression: request.compression,
        encryptionKey: encryption?.dataKey,
        root: item.snapshot.root,
        keyFor: (index) => chunkKey(request.id, node, item.snapshot.collection, index),
        signal: jobSignal,
        onRawBytes: progress.onBytes,
        retry: context.retry,
        chunkEvents: context.chunkEvents,
        workers: context.workers,
      });
      item.chunks.push(...packed.chunks);
      item.files.push(...packed.files);
      progress.onDone?.({ files: packed.files.length, chunks: packed.chunks.length });
      if (--item.remainingJobs === 0) await item.snapshot.release();
    });

    const collections = work.map(collectionRecord);
    const preCompressionSizeBytes = collections.reduce((sum, record) => sum + record.rawSize, 0);
    const descriptor: NodeDescriptor = {
      version: FORMAT_VERSION,
      id: request.id,
      node,
      status: BackupStatus.SUCCESS,
      error: '',
      startedAt: request.startedAt,
      completedAt: new Date().toISOString(),
      compression: request.compression,
      chunkSizeBytes: request.chunkSizeBytes,
      pipelines: context.pipelines,
      preCompressionSizeBytes,
      storedSizeBytes: collections.reduce((sum, record) => sum + record.storedSize, 0),
      ...(request.incrementalBaseBackupId
        ? {
            incrementalBaseBackupId: request.incrementalBaseBackupId,
            reusedStoredSizeBytes: collections.reduce((sum, record) => sum + (record.reusedStoredSize ?? 0), 0),
          }
        : {}),
      ...(encryption ? { encryption: encryption.record } : {}),
      hashing: HASHING,
      collections,
    };
    throwIfAborted(signal, `backup ${request.id}`);
    await provider.put(nodeDescriptorKey(request.id, node), encodeDescriptor(descriptor), { location, signal });
    return descriptor;
  } finally {
    await Promise.allSettled(work.map((item) => item.snapshot.release()));
  }
}

function jobBytes(job: PackJob): number {
  return job.chunks.reduce((sum, chunk) => sum + chunk.rawSize, 0);
}

function chunkIndex(key: string): number {
  const match = /chunk-(\d+)$/.exec(key);
  if (!match) throw new BackupError(ErrorCode.CORRUPT, `unexpected chunk key ${key}`);
  return Number(match[1]);
}

/**
 * This node's descriptor in the base backup; undefined when the base has no
 * part on this node (everything is then uploaded). The coordinator checked
 * that the base as a whole is SUCCESS.
 */
async function readBaseDescriptor(
  provider: BackupProvider,
  baseId: string,
  node: string,
  location: NodeBackupRequest['location'],
  signal: AbortSignal,
): Promise<NodeDescriptor | undefined> {
  const key = nodeDescriptorKey(baseId, node);
  let bytes: Buffer;
  try {
    bytes = await provider.get(key, { location, signal });
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return undefined;
    throw error;
  }
  const descriptor = decodeNodeDescriptor(bytes, key);
  if (descriptor.status !== BackupStatus.SUCCESS) {
    throw new BackupError(ErrorCode.CONFLICT, `base backup ${baseId} of node ${node} has status ${descriptor.status}`);
  }
  return descriptor;
}

function collectionRecord(item: CollectionWork): CollectionRecord {
  const { snapshot } = item;
  const own = [...item.chunks].sort((a, b) => chunkIndex(a.key) - chunkIndex(b.key));
  const chunks = [...item.reusedChunks, ...own];
  const files = [...item.files]
    .map((file) => {
      const identity = item.identities.get(file.path);
      return identity === undefined ? file : { ...file, identity };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    name: snapshot.collection,
    metadata: snapshot.metadata,
    shards: snapshot.shards.map((shard) => ({ name: shard.shard, status: shard.status, writerStallMs: shard.writerStallMs })),
    skipped: snapshot.skipped.map((skipped) => ({ shard: skipped.shard, reason: skipped.reason })),
    files,
    chunks,
    rawSize: files.reduce((sum, file) => sum + file.size, 0),
    storedSize: own.reduce((sum, chunk) => sum + chunk.size, 0),
    ...(item.reusedChunks.length > 0 ? { reusedStoredSize: item.reusedChunks.reduce((sum, chunk) => sum + chunk.size, 0) } : {}),
  };
}
