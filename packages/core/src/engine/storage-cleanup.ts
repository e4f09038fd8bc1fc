import { joinKey } from '../keys.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { globalDescriptorKey, nodeDescriptorKey, restoreDescriptorKey } from '../format/object-keys.ts';

/**
 * Deletes everything of backup `id` except its global descriptor (which then
 * records why the backup ended) and restore descriptor: every node's folder,
 * including what interrupted writes left hidden there (`deletePrefix`). Used
 * when a backup fails, is cancelled, or was interrupted by a crash. `nodes`
 * are folders to clear even if nothing visible is left in them.
 */
export async function removeBackupObjects(provider: BackupProvider, id: string, location: Location, nodes: readonly string[] = []): Promise<void> {
  const keep = new Set([globalDescriptorKey(id), restoreDescriptorKey(id)]);
  const folders = new Set(nodes);
  const strays: string[] = [];
  for await (const object of provider.list(`${id}/`, { location })) {
    if (keep.has(object.key)) continue;
    const rest = object.key.slice(id.length + 1);
    const slash = rest.indexOf('/');
    if (slash > 0) folders.add(rest.slice(0, slash));
    else strays.push(object.key);
  }
  for (const node of folders) await removeNodeObjects(provider, id, node, location);
  for (const key of strays) await provider.delete(key, { location });
}

/** Deletes `<id>/<node>/` with its hidden leftovers; the node descriptor first, so it never outlives its chunks. */
export async function removeNodeObjects(provider: BackupProvider, id: string, node: string, location: Location): Promise<void> {
  await provider.delete(nodeDescriptorKey(id, node), { location });
  await provider.deletePrefix(`${joinKey(id, node)}/`, { location });
}
