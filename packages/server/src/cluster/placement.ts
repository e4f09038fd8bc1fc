import { crc32 } from 'node:zlib';

/**
 * Where a new shard goes, the same on every node: hash shard `i` on node
 * `i mod n` of the sorted member list (so `desiredCount = n` puts one shard
 * on each node), a tenant on the node its name hashes to. The result is
 * recorded in the collection's descriptor (and its backups), so a later
 * change of the member list does not move existing shards.
 */
export function placeShards(nodes: readonly string[]) {
  const sorted = [...nodes].sort();
  return ({ shard, index }: { readonly shard: string; readonly index?: number }): string =>
    sorted[(index ?? crc32(Buffer.from(shard, 'utf8'))) % sorted.length]!;
}
