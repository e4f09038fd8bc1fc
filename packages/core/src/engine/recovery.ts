import { rm } from 'node:fs/promises';
import { BackupError, ErrorCode } from '../errors.ts';
import type { ProviderRegistry } from '../config/provider-registry.ts';
import type { BackupProvider, Location } from '../provider.ts';
import {
  FORMAT_VERSION,
  decodeGlobalDescriptor,
  decodeRestoreDescriptor,
  encodeDescriptor,
  type GlobalDescriptor,
  type RestoreDescriptor,
} from '../format/descriptors.ts';
import { globalDescriptorKey, restoreDescriptorKey } from '../format/object-keys.ts';
import type { Journal, JournalEntry } from './journal.ts';
import { BackupStatus } from '../format/status.ts';
import { removeBackupObjects } from './storage-cleanup.ts';

export interface RecoveryReport {
  /** Operations ended FAILED. */
  readonly recovered: { kind: string; id: string; backend: string }[];
  /** Operations that could not be settled now (provider missing or unreachable); retried at the next start. */
  readonly pending: { kind: string; id: string; backend: string; reason: string }[];
}

/**
 * Ends every operation the journal says was running when the process died:
 * its partial objects are removed, staged files deleted (unless the restore
 * had begun installing), and its stored status becomes FAILED with a reason.
 */
export async function recoverInterrupted(journal: Journal, providers: ProviderRegistry): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], pending: [] };
  for (const entry of await journal.entries()) {
    const what = { kind: entry.kind, id: entry.id, backend: entry.backend };
    if (!providers.has(entry.backend)) {
      report.pending.push({ ...what, reason: `backend ${entry.backend} is not enabled` });
      continue;
    }
    try {
      const provider = providers.get(entry.backend);
      if (entry.kind === 'backup') await recoverBackup(provider, entry);
      else await recoverRestore(provider, entry);
      await journal.remove(entry.kind, entry.backend, entry.id);
      report.recovered.push(what);
    } catch (error) {
      report.pending.push({ ...what, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}

async function readOrUndefined<T>(provider: BackupProvider, key: string, location: Location, decode: (bytes: Buffer) => T) {
  try {
    return decode(await provider.get(key, { location }));
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND) || BackupError.is(error, ErrorCode.CORRUPT)) return undefined;
    throw error;
  }
}

async function recoverBackup(provider: BackupProvider, entry: JournalEntry): Promise<void> {
  const key = globalDescriptorKey(entry.id);
  const previous = await readOrUndefined(provider, key, entry.location, (bytes) => decodeGlobalDescriptor(bytes, key));
  // Final and ours: the process died after storing it, before clearing the journal.
  // Final and older: the run died before storing STARTED, so it uploaded nothing.
  // An ended operation whose cleanup or final write failed says so with `outcome`.
  if (previous && isFinal(previous.status) && !entry.outcome) return;
  // Every node's folder, including hidden leftovers of nodes that wrote nothing visible yet.
  await removeBackupObjects(provider, entry.id, entry.location, entry.nodes ?? [entry.node]);
  // A crash during a descriptor update can leave the backend's hidden temp copy: clear it with the descriptor.
  await provider.deletePrefix(key, { location: entry.location });
  const failed: GlobalDescriptor = {
    ...(previous ?? emptyGlobal(entry)),
    status: entry.outcome?.status === BackupStatus.CANCELED ? BackupStatus.CANCELED : BackupStatus.FAILED,
    error: entry.outcome?.error ?? `interrupted: node ${entry.node} stopped while the backup was running; its partial data was removed at the next start`,
    completedAt: new Date().toISOString(),
  };
  await provider.put(key, encodeDescriptor(failed), { location: entry.location });
}

async function recoverRestore(provider: BackupProvider, entry: JournalEntry): Promise<void> {
  const key = restoreDescriptorKey(entry.id);
  if (entry.outcome) {
    // Ended in a previous run; only its final status is missing.
    const previous = await readOrUndefined(provider, key, entry.location, (bytes) => decodeRestoreDescriptor(bytes, key));
    const ended: RestoreDescriptor = {
      ...(previous ?? emptyRestore(entry)),
      status: entry.outcome.status as RestoreDescriptor['status'],
      error: entry.outcome.error,
      completedAt: new Date().toISOString(),
    };
    await provider.put(key, encodeDescriptor(ended), { location: entry.location });
    return;
  }
  const installing = entry.phase === BackupStatus.FINALIZING;
  if (!installing) {
    for (const directory of entry.stagingDirectories) await rm(directory, { recursive: true, force: true });
  }
  const previous = await readOrUndefined(provider, key, entry.location, (bytes) => decodeRestoreDescriptor(bytes, key));
  if (previous && isFinal(previous.status)) return;
  await provider.deletePrefix(key, { location: entry.location });
  const failed: RestoreDescriptor = {
    ...(previous ?? emptyRestore(entry)),
    status: BackupStatus.FAILED,
    error: installing
      ? `interrupted: node ${entry.node} stopped while installing the restored collections; some may be installed`
      : `interrupted: node ${entry.node} stopped while the restore was running; staged files were removed at the next start`,
    completedAt: new Date().toISOString(),
  };
  await provider.put(key, encodeDescriptor(failed), { location: entry.location });
}

function isFinal(status: string): boolean {
  return status === BackupStatus.SUCCESS || status === BackupStatus.FAILED || status === BackupStatus.CANCELED;
}

function emptyGlobal(entry: JournalEntry): GlobalDescriptor {
  return {
    version: FORMAT_VERSION,
    id: entry.id,
    backend: entry.backend,
    status: BackupStatus.STARTED,
    error: '',
    startedAt: entry.startedAt,
    classes: [],
    coordinator: entry.node,
    nodes: {},
    compression: { codec: 'none', level: 0, name: 'NoCompression' },
    chunkSizeBytes: 0,
    cpuPercentage: 0,
    preCompressionSizeBytes: 0,
  };
}

function emptyRestore(entry: JournalEntry): RestoreDescriptor {
  return {
    version: FORMAT_VERSION,
    id: entry.id,
    backend: entry.backend,
    status: BackupStatus.STARTED,
    error: '',
    startedAt: entry.startedAt,
    classes: [],
    nodeMapping: {},
  };
}
