/** Stores that are nodes of a cluster: each holds, reads, counts and snapshots only the shards placed on it. */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '@backup/core';
import { expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

const NODES = ['n1', 'n2'];
const place = ({ index, shard }: { shard: string; index?: number }): string => NODES[(index ?? shard.length) % NODES.length]!;
const id = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

test('a placed collection: objects live on their node; listing, snapshots and a restore through a node mapping follow the placement', async () => {
  const root = scratchDir('placement');
  const stores = await Promise.all(NODES.map((node) => Store.open({ path: join(root, node), nodeName: node, placeShard: place })));
  const byNode = new Map(NODES.map((node, i) => [node, stores[i]!]));
  for (const store of stores) await store.createCollection({ class: 'Spread', shardingConfig: { desiredCount: 4 } });
  const owners = new Map<string, string[]>(NODES.map((node) => [node, []]));
  for (let i = 0; i < 40; i++) {
    const node = stores[0]!.getCollection('Spread')!.nodeFor(id(i));
    owners.get(node)!.push(id(i));
    await byNode.get(node)!.getCollection('Spread')!.put(id(i), { properties: { i } });
  }
  expect(owners.get('n1')!.length).toBeGreaterThan(0);
  expect(owners.get('n2')!.length).toBeGreaterThan(0);

  for (const [node, store] of byNode) {
    const spread = store.getCollection('Spread')!;
    expect((await spread.scan({ limit: 100 })).map((object) => object.id)).toEqual(owners.get(node)!.sort());
    expect(await spread.count()).toBe(owners.get(node)!.length);
    const other = owners.get(NODES.find((name) => name !== node)!)![0]!;
    await expect(spread.put(other, { properties: {} })).rejects.toSatisfy((error) => BackupError.is(error, 'CONFLICT'));
    const [description] = await store.listCollections();
    expect(description!.shards.map((shard) => shard.node)).toEqual(['n1', 'n2', 'n1', 'n2']);
  }

  // Snapshot n1, restore it on a node called m1 of a cluster {n1 → m1, n2 → m2}.
  const snapshot = await byNode.get('n1')!.snapshot('Spread');
  expect(new Set(snapshot.files.map((file) => file.shard))).toEqual(new Set(['shard-0', 'shard-2']));
  const target = await Store.open({ path: join(root, 'm1'), nodeName: 'm1' });
  const staged = await target.prepareRestore('Spread', { nodeMapping: { n1: 'm1', n2: 'm2' } });
  await mkdir(staged.directory, { recursive: true });
  await cp(snapshot.root, staged.directory, { recursive: true });
  await staged.commit(snapshot.metadata);
  await snapshot.release();
  const restored = target.getCollection('Spread')!;
  expect((await restored.scan({ limit: 100 })).map((object) => object.id)).toEqual(owners.get('n1')!.sort());
  expect((await target.listCollections())[0]!.shards.map((shard) => shard.node)).toEqual(['m1', 'm2', 'm1', 'm2']);
  expect(restored.nodeFor(owners.get('n2')![0]!)).toBe('m2');

  // Tenants are placed too; another node's tenant changes status without files here.
  for (const store of stores) await store.createCollection({ class: 'Tenanted', multiTenancyConfig: { enabled: true } });
  for (const store of stores) await store.getCollection('Tenanted')!.addTenants([{ name: 'abc' }, { name: 'abcd' }]);
  const tenanted = stores.map((store) => store.getCollection('Tenanted')!);
  expect(tenanted[0]!.nodeFor('x', { tenant: 'abc' })).toBe('n2');
  await tenanted[1]!.put(id(1), { properties: {} }, { tenant: 'abc' });
  await expect(tenanted[0]!.put(id(1), { properties: {} }, { tenant: 'abc' })).rejects.toSatisfy((error) => BackupError.is(error, 'CONFLICT'));
  for (const collection of tenanted) await collection.updateTenants([{ name: 'abc', activityStatus: 'COLD' }]);
  for (const collection of tenanted) await collection.updateTenants([{ name: 'abc', activityStatus: 'HOT' }]);
  expect(await tenanted[1]!.count({ tenant: 'abc' })).toBe(1);

  for (const store of [...stores, target]) await store.close();
  // Reopened, a node still holds only its shards.
  const reopened = await Store.open({ path: join(root, 'n2'), nodeName: 'n2', placeShard: place });
  expect(await reopened.getCollection('Spread')!.count()).toBe(owners.get('n2')!.length);
  await reopened.close();
});
