import type { CollectionDescription, Store } from '@backup/lsm';
import type { Router } from '@backup/core';
import { WEAVIATE_COMPATIBLE_VERSION } from '../version.ts';
import { requireCollection, type ApiContext } from './context.ts';
import { checkClassName } from './validation.ts';

interface ShardJson {
  class: string;
  name: string;
  objectCount: number;
  loaded: boolean;
  activityStatus: string;
  vectorIndexingStatus: 'READY';
  vectorQueueLength: 0;
  compressed: false;
}

/**
 * `GET /nodes` and `GET /nodes/{class}`: this node, its shards and their object
 * counts, in Weaviate's shape. `output=minimal` leaves the shards out.
 */
export function registerNodeRoutes(router: Router, context: ApiContext): void {
  const answer = async (descriptions: CollectionDescription[], minimal: boolean) => {
    const shards = await shardsOf(context.store, descriptions);
    const node = {
      name: context.store.nodeName,
      status: 'HEALTHY',
      version: WEAVIATE_COMPATIBLE_VERSION,
      gitHash: 'unknown',
      stats: {
        objectCount: shards.reduce((sum, shard) => sum + shard.objectCount, 0),
        shardCount: shards.length,
      },
      batchStats: { queueLength: 0, ratePerSecond: 0 },
      ...(minimal ? {} : { shards }),
    };
    return { status: 200, body: { nodes: [node] } };
  };

  router.add('GET', '/nodes', async ({ query }) => answer(await context.store.listCollections(), query.get('output') === 'minimal'));

  router.add('GET', '/nodes/{class}', async ({ params, query }) => {
    const name = requireCollection(context, checkClassName(params.class)).name;
    const descriptions = (await context.store.listCollections()).filter((description) => description.name === name);
    return answer(descriptions, query.get('output') === 'minimal');
  });
}

/**
 * One entry per shard, with its own object count (kept by the store as it is
 * written: no scan per request). Inactive tenants are not opened just to
 * count them and show 0.
 */
async function shardsOf(store: Store, descriptions: CollectionDescription[]): Promise<ShardJson[]> {
  const shards: ShardJson[] = [];
  for (const description of descriptions) {
    const collection = store.getCollection(description.name);
    if (collection === undefined) continue;
    // A collection deleted or closed meanwhile answers with zeros rather than failing the whole listing.
    const counts = await collection.shardCounts().catch(() => ({}) as Record<string, number>);
    // On a cluster each node shows the shards it holds; the others show theirs.
    for (const shard of description.shards.filter((candidate) => candidate.node === store.nodeName)) {
      shards.push({
        class: description.name,
        name: shard.name,
        objectCount: counts[shard.name] ?? 0,
        loaded: shard.status === 'HOT',
        activityStatus: shard.status,
        vectorIndexingStatus: 'READY',
        vectorQueueLength: 0,
        compressed: false,
      });
    }
  }
  return shards;
}
