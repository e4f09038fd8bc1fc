/**
 * The engine's own records in storage: the global descriptor of a backup and
 * the descriptor of its last restore, read with NOT_FOUND errors that name the
 * backup, and built from a running operation.
 */
import { BackupError, ErrorCode } from '../errors.ts';
import {
  decodeGlobalDescriptor,
  decodeRestoreDescriptor,
  FORMAT_VERSION,
  type GlobalDescriptor,
  type NodeDescriptor,
  type NodeSummary,
  type RestoreDescriptor,
} from '../format/descriptors.ts';
import { globalDescriptorKey, restoreDescriptorKey } from '../format/object-keys.ts';
import type { BackupStatus } from '../format/status.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { Operation } from './operation.ts';
import type { ResolvedBackupConfig } from './request-validation.ts';
import type { SkippedShardReport } from './types.ts';

export async function readGlobal(provider: BackupProvider, id: string, location: Location): Promise<GlobalDescriptor> {
  const key = globalDescriptorKey(id);
  try {
    return decodeGlobalDescriptor(await provider.get(key, { location }), `descriptor of backup ${id}`);
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
      throw new BackupError(ErrorCode.NOT_FOUND, `backup "${id}" does not exist at "${provider.homeDir(id, location)}"`, {
        cause: error,
      });
    }
    throw error;
  }
}

export async function readRestore(provider: BackupProvider, id: string, location: Location): Promise<RestoreDescriptor> {
  const key = restoreDescriptorKey(id);
  try {
    return decodeRestoreDescriptor(await provider.get(key, { location }), `restore descriptor of backup ${id}`);
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
      throw new BackupError(ErrorCode.NOT_FOUND, `no restore of backup "${id}" is known at "${provider.homeDir(id, location)}"`, { cause: error });
    }
    throw error;
  }
}

/** The global descriptor of a backup as `operation` stands, with `status`. */
export function globalDescriptorOf(
  operation: Operation,
  coordinator: string,
  config: ResolvedBackupConfig,
  nodes: Record<string, NodeSummary>,
  status: BackupStatus,
): GlobalDescriptor {
  return {
    version: FORMAT_VERSION,
    id: operation.id,
    backend: operation.backend,
    status,
    error: operation.error,
    startedAt: operation.startedAt.toISOString(),
    ...(operation.completedAt ? { completedAt: operation.completedAt.toISOString() } : {}),
    classes: operation.classes,
    coordinator,
    nodes,
    compression: config.compression,
    chunkSizeBytes: config.chunkSizeBytes,
    cpuPercentage: config.cpuPercentage,
    preCompressionSizeBytes: operation.sizeBytes,
    ...(config.incrementalBaseBackupId ? { incrementalBaseBackupId: config.incrementalBaseBackupId } : {}),
    ...storedSizes(Object.values(nodes)),
  };
}

/** The descriptor of a restore as `operation` stands, with `status`. */
export function restoreDescriptorOf(operation: Operation, nodeMapping: Record<string, string>, status: BackupStatus): RestoreDescriptor {
  return {
    version: FORMAT_VERSION,
    id: operation.id,
    backend: operation.backend,
    status,
    error: operation.error,
    startedAt: operation.startedAt.toISOString(),
    ...(operation.completedAt ? { completedAt: operation.completedAt.toISOString() } : {}),
    classes: operation.classes,
    nodeMapping,
  };
}

/** What the global descriptor records of one node's part. */
export function nodeSummary(descriptor: NodeDescriptor): NodeSummary {
  return {
    classes: descriptor.collections.map((collection) => collection.name),
    status: descriptor.status,
    error: descriptor.error,
    preCompressionSizeBytes: descriptor.preCompressionSizeBytes,
    storedSizeBytes: descriptor.storedSizeBytes,
    reusedStoredSizeBytes: descriptor.reusedStoredSizeBytes ?? 0,
    skipped: skippedOf(descriptor),
  };
}

export function skippedOf(descriptor: NodeDescriptor): SkippedShardReport[] {
  return descriptor.collections.flatMap((collection) =>
    collection.skipped.map((skipped) => ({ collection: collection.name, shard: skipped.shard, reason: skipped.reason })),
  );
}

/** Stored bytes uploaded and reused, summed over the nodes that reported them (absent until the backup ended). */
function storedSizes(nodes: readonly NodeSummary[]): { storedSizeBytes?: number; reusedStoredSizeBytes?: number } {
  if (nodes.length === 0 || nodes.some((node) => node.storedSizeBytes === undefined)) return {};
  return {
    storedSizeBytes: nodes.reduce((sum, node) => sum + (node.storedSizeBytes ?? 0), 0),
    reusedStoredSizeBytes: nodes.reduce((sum, node) => sum + (node.reusedStoredSizeBytes ?? 0), 0),
  };
}
