/**
 * The API's status answers: a backup or restore as this process sees it
 * running, or as its stored descriptor records it.
 */
import { BackupError, ErrorCode } from '../errors.ts';
import type { GlobalDescriptor } from '../format/descriptors.ts';
import { BackupStatus } from '../format/status.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { readGlobal, readRestore } from './descriptor-store.ts';
import { describe, type EngineContext } from './engine-context.ts';
import type { Operation } from './operation.ts';
import { answersFromMemory } from './operation-registry.ts';
import type { BackupStatusReport, ListBackupsOptions, OperationProgress, RestoreStatusReport } from './types.ts';

/** Status of a backup: the running one in memory, else its stored descriptor. NOT_FOUND if there is none. */
export async function backupStatus(
  context: EngineContext,
  provider: BackupProvider,
  backend: string,
  id: string,
  location: Location,
): Promise<BackupStatusReport> {
  const operation = context.operations.get('backup', backend, id, location);
  if (operation && answersFromMemory(operation)) return backupReport(operation);
  // A backup this process ran is read where it went (its request's endpoint, which a status call cannot name).
  const where = operation?.location ?? location;
  const descriptor = await readGlobal(provider, id, where);
  const report = reportFromGlobal(descriptor, backend, provider.homeDir(id, where));
  // The stored record wins; the counts of a run this process saw end are added to it.
  return operation && descriptor.startedAt === operation.startedAt.toISOString() ? { ...report, progress: operation.progress() } : report;
}

/** Every backup stored at the backend's root, by start time (default newest first). */
export async function listBackups(
  context: EngineContext,
  provider: BackupProvider,
  backend: string,
  location: Location,
  order: ListBackupsOptions['order'],
): Promise<BackupStatusReport[]> {
  const reports = new Map<string, BackupStatusReport>();
  // One folder per backup at the root: a delimiter listing, not every chunk's key.
  for await (const id of provider.listFolders('', { location })) {
    if (!/^[a-z0-9_-]+$/.test(id)) continue;
    try {
      const descriptor = await readGlobal(provider, id, location);
      reports.set(id, reportFromGlobal(descriptor, backend, provider.homeDir(id, location)));
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) context.logger.warn(`listing skips backup ${id}: ${describe(error)}`);
    }
  }
  for (const operation of context.operations.values()) {
    const known = answersFromMemory(operation);
    if (operation.kind === 'backup' && operation.backend === backend && known && sameLocation(operation.location, location)) {
      reports.set(operation.id, backupReport(operation));
    }
  }
  const direction = order === 'asc' ? 1 : -1;
  return [...reports.values()].sort((a, b) => direction * ((a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0)));
}

/** Status of the last restore of a backup. NOT_FOUND if it was never restored. */
export async function restoreStatus(
  context: EngineContext,
  provider: BackupProvider,
  backend: string,
  id: string,
  location: Location,
): Promise<RestoreStatusReport> {
  const operation = context.operations.get('restore', backend, id, location);
  if (operation && answersFromMemory(operation)) return restoreReport(operation);
  const descriptor = await readRestore(provider, id, operation?.location ?? location);
  const seen = operation && descriptor.startedAt === operation.startedAt.toISOString();
  return {
    ...(seen ? { progress: operation.progress() } : {}),
    id,
    backend,
    path: provider.homeDir(id, location),
    status: descriptor.status,
    error: descriptor.error,
    classes: [...descriptor.classes],
    startedAt: parseDate(descriptor.startedAt),
    completedAt: parseDate(descriptor.completedAt),
  };
}

function backupReport(operation: Operation): BackupStatusReport {
  return {
    ...restoreReport(operation),
    sizeBytes: operation.sizeBytes,
    skipped: operation.skipped,
    ...(operation.incrementalBaseBackupId ? { incrementalBaseBackupId: operation.incrementalBaseBackupId } : {}),
    ...(operation.storedBytes ? { bytesUploaded: operation.storedBytes.uploaded, bytesReused: operation.storedBytes.reused } : {}),
  };
}

/** What a running backup and restore report alike (a backup adds its sizes). */
function restoreReport(operation: Operation): RestoreStatusReport {
  return {
    id: operation.id,
    backend: operation.backend,
    path: operation.path,
    status: operation.status,
    error: operation.error,
    classes: [...operation.classes],
    startedAt: operation.startedAt,
    completedAt: operation.completedAt,
    progress: operation.progress(),
  };
}

function reportFromGlobal(descriptor: GlobalDescriptor, backend: string, path: string): BackupStatusReport {
  return {
    id: descriptor.id,
    backend,
    path,
    status: descriptor.status,
    error: descriptor.error,
    classes: [...descriptor.classes],
    startedAt: parseDate(descriptor.startedAt),
    completedAt: parseDate(descriptor.completedAt),
    sizeBytes: descriptor.preCompressionSizeBytes ?? 0,
    skipped: Object.values(descriptor.nodes ?? {}).flatMap((node) => [...(node.skipped ?? [])]),
    ...(descriptor.incrementalBaseBackupId ? { incrementalBaseBackupId: descriptor.incrementalBaseBackupId } : {}),
    ...(descriptor.storedSizeBytes !== undefined ? { bytesUploaded: descriptor.storedSizeBytes, bytesReused: descriptor.reusedStoredSizeBytes ?? 0 } : {}),
    progress: storedProgress(descriptor),
  };
}

/** What a stored record tells of a backup's progress: its bytes, done once it succeeded. */
function storedProgress(descriptor: GlobalDescriptor): OperationProgress {
  const bytes = descriptor.preCompressionSizeBytes ?? 0;
  const succeeded = descriptor.status === BackupStatus.SUCCESS;
  return {
    bytesDone: bytes,
    bytesTotal: succeeded ? bytes : undefined,
    filesDone: 0,
    filesTotal: undefined,
    chunksDone: 0,
    chunksTotal: undefined,
    bytesPerSecond: 0,
    etaSeconds: succeeded ? 0 : undefined,
  };
}

/** The bucket shown to users: the override, else the host part of a `scheme://bucket/...` home. */
export function bucketOf(provider: BackupProvider, id: string, location: Location): string {
  if (location.bucket) return location.bucket;
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)/i.exec(provider.homeDir(id, location));
  return match?.[1] ?? '';
}

function sameLocation(a: Location, b: Location): boolean {
  return (a.bucket ?? '') === (b.bucket ?? '') && (a.path ?? '') === (b.path ?? '');
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
