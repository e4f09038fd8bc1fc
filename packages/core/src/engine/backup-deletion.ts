/**
 * Deleting a finished backup without breaking the incremental backups that
 * reuse its objects: mark, then sweep. See docs/DESIGN.md, "Deleting backups".
 *
 * 1. Mark: `<id>/deleted.json` is written first. From then on the backup can
 *    no longer be a base: a create checks for the mark before it starts and
 *    again after its STARTED descriptor (naming its base) is stored.
 * 2. Collect references: every other backup's global descriptor is read. One
 *    still running that names `id` as its base stops the delete (CONFLICT;
 *    the mark is removed). The node descriptors of every SUCCESS backup that
 *    is not marked give the set of keys they reuse from other folders.
 * 3. Sweep: the global descriptor goes first (the backup is gone for list
 *    and status), then every object of `id` that no other backup references;
 *    then objects of earlier deleted backups that only `id` still referenced.
 *    A folder left with nothing but its mark loses the mark: its id is free.
 *
 * Because the create stores its STARTED descriptor before it looks for the
 * mark, and the delete writes the mark before it reads the descriptors,
 * at least one of the two sees the other (storage is read-after-write
 * consistent on every supported backend). A delete interrupted midway is
 * finished by deleting again: the mark stays until the sweep is complete.
 */
import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { deletionMarkKey, backupIdOfKey, globalDescriptorKey, nodeDescriptorKey } from '../format/object-keys.ts';
import { decodeGlobalDescriptor, decodeNodeDescriptor, type GlobalDescriptor } from '../format/descriptors.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';

export async function hasDeletionMark(provider: BackupProvider, id: string, location: Location, signal?: AbortSignal): Promise<boolean> {
  try {
    await provider.stat(deletionMarkKey(id), { location, signal });
    return true;
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return false;
    throw error;
  }
}

export interface DeletionReport {
  /** Objects removed (this backup's and orphans of earlier deleted ones). */
  readonly objectsDeleted: number;
  /** Objects of this backup kept because other backups reuse them. */
  readonly objectsKept: number;
}

async function readGlobalOrUndefined(provider: BackupProvider, id: string, location: Location, signal?: AbortSignal): Promise<GlobalDescriptor | undefined> {
  try {
    return decodeGlobalDescriptor(await provider.get(globalDescriptorKey(id), { location, signal }), `descriptor of backup ${id}`);
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return undefined;
    throw error;
  }
}

/**
 * Deletes backup `id` (any final status) from storage, keeping the objects
 * other backups reuse. NOT_FOUND if there is neither a backup nor an
 * unfinished deletion of it; CONFLICT if it is not finished, or a running
 * backup is being built on it.
 */
export async function deleteBackupFromStorage(provider: BackupProvider, id: string, location: Location, signal?: AbortSignal): Promise<DeletionReport> {
  const global = await readGlobalOrUndefined(provider, id, location, signal);
  const marked = await hasDeletionMark(provider, id, location, signal);
  if (!global && !marked) {
    throw new BackupError(ErrorCode.NOT_FOUND, `backup "${id}" does not exist at "${provider.homeDir(id, location)}"`);
  }
  if (global && !isFinalStatus(global.status)) {
    throw new BackupError(ErrorCode.CONFLICT, `backup "${id}" is ${global.status}: cancel it first, then delete it`);
  }
  if (!marked) await provider.put(deletionMarkKey(id), `${JSON.stringify({ id, deletedAt: new Date().toISOString() })}\n`, { location, signal });

  // Mark done: collect what every other backup still needs.
  const referenced = new Set<string>();
  const deletedFolders = new Set<string>();
  for await (const other of provider.listFolders('', { location, signal })) {
    if (other === id || !/^[a-z0-9_-]+$/.test(other)) continue;
    throwIfAborted(signal, `deletion of backup ${id}`);
    const descriptor = await readGlobalOrUndefined(provider, other, location, signal);
    if (await hasDeletionMark(provider, other, location, signal)) {
      deletedFolders.add(other);
      continue;
    }
    if (!descriptor) continue;
    if (!isFinalStatus(descriptor.status)) {
      if (descriptor.incrementalBaseBackupId === id) {
        if (!marked) await provider.delete(deletionMarkKey(id), { location });
        throw new BackupError(ErrorCode.CONFLICT, `backup "${other}" is being built on backup "${id}": wait for it to end, then delete`);
      }
      continue;
    }
    if (descriptor.status !== BackupStatus.SUCCESS) continue;
    for (const node of Object.keys(descriptor.nodes ?? {})) {
      let bytes: Buffer;
      try {
        bytes = await provider.get(nodeDescriptorKey(other, node), { location, signal });
      } catch (error) {
        if (BackupError.is(error, ErrorCode.NOT_FOUND)) continue;
        throw error;
      }
      for (const collection of decodeNodeDescriptor(bytes).collections) {
        for (const chunk of collection.chunks) if (backupIdOfKey(chunk.key) !== other) referenced.add(chunk.key);
      }
    }
  }

  // What this backup reuses from earlier deleted backups: orphans once it is gone, unless someone else reuses them too.
  const reusedHere = new Set<string>();
  for (const node of Object.keys(global?.nodes ?? {})) {
    try {
      const bytes = await provider.get(nodeDescriptorKey(id, node), { location, signal });
      for (const collection of decodeNodeDescriptor(bytes).collections) {
        for (const chunk of collection.chunks) if (backupIdOfKey(chunk.key) !== id) reusedHere.add(chunk.key);
      }
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    }
  }

  let objectsDeleted = 0;
  let objectsKept = 0;
  if (global) {
    await provider.delete(globalDescriptorKey(id), { location, signal });
    objectsDeleted++;
  }
  const own: string[] = [];
  for await (const object of provider.list(`${id}/`, { location, signal })) own.push(object.key);
  // Node descriptors before chunks: a descriptor never outlives what it names.
  own.sort((a, b) => Number(b.endsWith('/backup.json')) - Number(a.endsWith('/backup.json')));
  for (const key of own) {
    if (key === deletionMarkKey(id)) continue;
    if (referenced.has(key)) {
      objectsKept++;
      continue;
    }
    await provider.delete(key, { location, signal });
    objectsDeleted++;
  }
  for (const key of reusedHere) {
    const owner = backupIdOfKey(key);
    if (!deletedFolders.has(owner) || referenced.has(key)) continue;
    await provider.delete(key, { location, signal });
    objectsDeleted++;
  }
  for (const folder of [id, ...new Set([...reusedHere].map(backupIdOfKey))]) {
    if (folder !== id && !deletedFolders.has(folder)) continue;
    await dropMarkIfEmpty(provider, folder, location, signal);
  }
  return { objectsDeleted, objectsKept };
}

/** A deleted backup's folder with nothing left but its mark: the mark goes, and the id is free again. */
async function dropMarkIfEmpty(provider: BackupProvider, id: string, location: Location, signal?: AbortSignal): Promise<void> {
  for await (const object of provider.list(`${id}/`, { location, signal })) {
    if (object.key !== deletionMarkKey(id)) return;
  }
  await provider.delete(deletionMarkKey(id), { location, signal });
  // Hidden leftovers (temp files, uploads never committed) of an empty folder.
  await provider.deletePrefix(`${id}/`, { location, signal });
}
