import type { BackupProvider, ChunkRecord, NodeDescriptor } from '@backup/core';

/** The chunks a backup's node descriptor records, read through the provider. */
export async function storedChunks(provider: BackupProvider, id: string, node = 'node1'): Promise<ChunkRecord[]> {
  const descriptor = JSON.parse((await provider.get(`${id}/${node}/backup.json`)).toString('utf8')) as NodeDescriptor;
  return descriptor.collections.flatMap((collection) => collection.chunks);
}

/** Every key stored under `<id>/`, sorted. */
export async function storedKeys(provider: BackupProvider, id: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of provider.list(`${id}/`)) keys.push(object.key);
  return keys.sort();
}

/** Keys that would make a copy look like a backup: descriptors. */
export function descriptorKeys(keys: readonly string[]): string[] {
  return keys.filter((key) => key.endsWith('/backup.json') || key.endsWith('/backup_config.json'));
}

/**
 * Flips one byte of a stored object, through the provider itself, as bit rot
 * or a bad disk would. The object stays the same size. Test chunks are small:
 * it is read whole.
 */
export async function flipStoredByte(provider: BackupProvider, key: string): Promise<void> {
  const bytes = Buffer.from(await provider.get(key));
  const offset = Math.floor(bytes.length / 2);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x5a;
  await provider.put(key, bytes);
}

/** Rewrites the global descriptor's status, as a backup that did not finish leaves it. */
export async function setStoredStatus(provider: BackupProvider, id: string, status: string): Promise<void> {
  const key = `${id}/backup_config.json`;
  const descriptor = JSON.parse((await provider.get(key)).toString('utf8')) as Record<string, unknown>;
  await provider.put(key, JSON.stringify({ ...descriptor, status }));
}
