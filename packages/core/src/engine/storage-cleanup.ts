import type { BackupProvider, Location } from '../provider.ts';
import { globalDescriptorKey, restoreDescriptorKey } from './descriptors.ts';

/**
 * Deletes every object of backup `id` except its global descriptor (which then
 * records why the backup ended) and restore descriptor. Used when a backup
 * fails, is cancelled, or was interrupted by a crash.
 */
export async function removeBackupObjects(provider: BackupProvider, id: string, location: Location): Promise<number> {
  const keep = new Set([globalDescriptorKey(id), restoreDescriptorKey(id)]);
  const keys: string[] = [];
  for await (const object of provider.list(`${id}/`, { location })) {
    if (!keep.has(object.key)) keys.push(object.key);
  }
  // The node descriptor goes first, so a half-cleaned backup never looks complete.
  keys.sort((a, b) => Number(b.endsWith('/backup.json')) - Number(a.endsWith('/backup.json')));
  for (const key of keys) await provider.delete(key, { location });
  return keys.length;
}

/** Deletes every object whose key starts with `prefix` (descriptors first). */
export async function removeObjects(provider: BackupProvider, prefix: string, location: Location): Promise<number> {
  const keys: string[] = [];
  for await (const object of provider.list(prefix, { location })) keys.push(object.key);
  keys.sort((a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json')));
  for (const key of keys) await provider.delete(key, { location });
  return keys.length;
}
