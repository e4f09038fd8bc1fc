/**
 * Where a backup's objects live, relative to the backend's root (see
 * packages/core/README.md, "Storage layout and descriptor format").
 */
import { joinKey } from '../keys.ts';

/** `<id>/backup_config.json`: written first (STARTED), on every status change, and last. */
export function globalDescriptorKey(id: string): string {
  return joinKey(id, 'backup_config.json');
}

/** `<id>/<node>/backup.json`: written after all of that node's chunks. */
export function nodeDescriptorKey(id: string, node: string): string {
  return joinKey(id, node, 'backup.json');
}

/** `<id>/restore_config.json`: the last restore of this backup. */
export function restoreDescriptorKey(id: string): string {
  return joinKey(id, 'restore_config.json');
}

/** `<id>/<node>/<collection>/chunk-<n>` */
export function chunkKey(id: string, node: string, collection: string, index: number): string {
  return joinKey(id, node, collection, `chunk-${index}`);
}

/** `<id>/deleted.json`: the backup is being (or was) deleted; its remaining objects are kept only for others. */
export function deletionMarkKey(id: string): string {
  return joinKey(id, 'deleted.json');
}

/** The id of the backup whose folder holds `key` (`<id>/<node>/...`). */
export function backupIdOfKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}
