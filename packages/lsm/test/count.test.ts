/**
 * Object counts are kept per shard as writes happen (no scan): they must stay
 * exact through WAL replay on top of segments, manifests written before
 * counts existed, writes racing each other and close(), and tenants.
 */
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeManifest, encodeManifest } from '../src/manifest.ts';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

const id = (n: number) => `obj-${String(n).padStart(4, '0')}`;

async function manifests(storePath: string, collection: string): Promise<string[]> {
  const dir = join(storePath, 'collections', collection);
  const shards = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  return shards.map((shard) => join(dir, shard.name, 'MANIFEST'));
}

describe('object counts', () => {
  test('WAL replay on top of segments counts updates, deletes and new ids exactly', async () => {
    // No compaction and a large memtable: nothing changes on disk while the crash image is copied.
    const store = await Store.open({ path: scratchDir('count-replay'), autoCompact: false, syncWrites: false });
    const things = await store.createCollection({ class: 'Thing', shardingConfig: { desiredCount: 3 } });
    const live = new Set<string>();
    for (let n = 0; n < 300; n++) {
      await things.put(id(n), { properties: { n } });
      live.add(id(n));
    }
    await store.flush(); // these are in segments now
    for (let n = 0; n < 50; n++) await things.put(id(n), { properties: { n, updated: true } });
    for (let n = 40; n < 80; n++) expect(await things.delete(id(n))).toBe(true);
    for (let n = 40; n < 45; n++) expect(await things.delete(id(n))).toBe(false); // twice
    for (let n = 1000; n < 1010; n++) expect(await things.delete(id(n))).toBe(false); // never existed
    for (let n = 300; n < 330; n++) await things.put(id(n), { properties: { n } });
    for (let n = 325; n < 330; n++) await things.delete(id(n));
    for (let n = 40; n < 80; n++) live.delete(id(n));
    for (let n = 300; n < 325; n++) live.add(id(n));
    expect(await things.count()).toBe(live.size);

    const image = scratchDir('count-replay-image');
    await cp(store.path, image, { recursive: true });
    await store.close();
    const recovered = await Store.open({ path: image });
    expect(recovered.recovery.walRecordsReplayed).toBeGreaterThan(100);
    const copy = recovered.getCollection('Thing')!;
    expect(await copy.count()).toBe(live.size);
    const perShard = await copy.shardCounts();
    expect(Object.keys(perShard).sort()).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(Object.values(perShard).reduce((a, b) => a + b, 0)).toBe(live.size);
    expect(Object.values(perShard).every((n) => n > 50)).toBe(true); // spread over the shards, not all on one
    await recovered.close();
    // Flushed at close: the counts now come from the manifests.
    const again = await Store.open({ path: image });
    expect(again.recovery.walRecordsReplayed).toBe(0);
    expect(await again.getCollection('Thing')!.shardCounts()).toEqual(perShard);
    await again.close();
  });

  test('a manifest written before counts were kept is counted once at open', async () => {
    const path = scratchDir('count-legacy');
    let store = await Store.open({ path });
    const things = await store.createCollection({ class: 'Thing', shardingConfig: { desiredCount: 2 } });
    for (let n = 0; n < 120; n++) await things.put(id(n), { properties: { n } });
    await store.flush();
    for (let n = 0; n < 20; n++) await things.delete(id(n));
    await store.close();
    for (const file of await manifests(path, 'Thing')) {
      const { liveKeys, ...old } = decodeManifest(await readFile(file, 'utf8'), file);
      expect(liveKeys).toBeDefined();
      await writeFile(file, encodeManifest(old));
    }

    store = await Store.open({ path });
    expect(await store.getCollection('Thing')!.count()).toBe(100);
    await store.getCollection('Thing')!.put(id(500), { properties: {} });
    await store.close();
    for (const file of await manifests(path, 'Thing')) expect(decodeManifest(await readFile(file, 'utf8'), file).liveKeys).toBeDefined();
    store = await Store.open({ path });
    expect(await store.getCollection('Thing')!.count()).toBe(101);
    await store.close();
  });

  test('racing writes of the same ids, then close() at once: every write lands and is counted once', async () => {
    const path = scratchDir('count-race');
    let store = await Store.open({ path, syncWrites: false, blockBytes: 512 });
    const things = await store.createCollection({ class: 'Thing', shardingConfig: { desiredCount: 2 } });
    for (let n = 0; n < 200; n++) await things.put(id(n), { properties: { n } });
    await store.flush(); // updates and deletes below must read segment blocks to learn what existed
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 200; n++) writes.push(n % 4 === round ? things.delete(id(n)) : things.put(id(n), { properties: { n, round } }));
    }
    const closed = store.close();
    const results = await Promise.allSettled(writes);
    await closed;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Deletes report what the writes before them (in call order) left.
    const deleted = results.flatMap((r, i) => (r.status === 'fulfilled' && typeof r.value === 'boolean' ? [[i, r.value]] : []));
    expect(deleted).toEqual(deleted.map(([i]) => [i, true])); // each id was put (or loaded) just before its delete
    store = await Store.open({ path });
    const after = store.getCollection('Thing')!;
    // The last round deletes ids with n % 4 === 2; rounds 0 and 1 put them back otherwise.
    const expected = Array.from({ length: 200 }, (_, n) => n).filter((n) => n % 4 !== 2);
    expect(await after.count()).toBe(expected.length);
    expect((await after.scan({ limit: 1000 })).map((o) => o.id)).toEqual(expected.map(id));
    expect((await after.get(id(5)))?.properties).toEqual({ n: 5, round: 2 });
    await store.close();
  });

  test('tenants: counts of HOT tenants, one tenant on request; COLD ones are not opened', async () => {
    const store = await Store.open({ path: scratchDir('count-tenants') });
    const docs = await store.createCollection({ class: 'Doc', multiTenancyConfig: { enabled: true } });
    await docs.addTenants([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    for (let n = 0; n < 7; n++) await docs.put(id(n), { properties: {} }, { tenant: 'a' });
    for (let n = 0; n < 3; n++) await docs.put(id(n), { properties: {} }, { tenant: 'b' });
    await docs.updateTenants([{ name: 'c', activityStatus: 'COLD' }]);
    expect(await docs.shardCounts()).toEqual({ a: 7, b: 3 });
    expect(await docs.shardCounts({ tenant: 'b' })).toEqual({ b: 3 });
    expect(await docs.count({ tenant: 'a' })).toBe(7);
    await expect(docs.shardCounts({ tenant: 'c' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(docs.shardCounts({ tenant: 'zz' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.close();
  });
});
