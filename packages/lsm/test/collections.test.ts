/** Collections, sharding and tenants: the data API the server builds on. */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '@backup/core';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { byteOrder, filesBelow, scratchDir } from './scratch.ts';

const code = (expected: string) => (error: unknown) => BackupError.is(error) && error.code === expected;

describe('collections', () => {
  test('create, list, get, delete, with schema validation', async () => {
    const path = scratchDir('collections');
    const store = await Store.open({ path, nodeName: 'alpha' });
    const created = await store.createCollection({
      class: 'Article',
      description: 'news',
      properties: [{ name: 'title', dataType: ['text'] }],
      vectorizer: 'none',
    });
    expect(created.schema).toMatchObject({
      class: 'Article',
      description: 'news',
      vectorizer: 'none',
      multiTenancyConfig: { enabled: false },
      shardingConfig: { desiredCount: 1 },
    });
    await expect(store.createCollection({ class: 'article' })).rejects.toSatisfy(code('ALREADY_EXISTS'));
    await expect(store.createCollection({ class: '1bad' })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(store.createCollection({ class: 'Bad', properties: [{ name: 'x' } as never] })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(store.createCollection({ class: 'Bad', shardingConfig: { desiredCount: 0 } })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await created.addProperty({ name: 'body', dataType: ['text'] });
    await expect(created.addProperty({ name: 'Body', dataType: ['text'] })).rejects.toSatisfy(code('ALREADY_EXISTS'));

    expect(await store.listCollections()).toEqual([
      { name: 'Article', multiTenant: false, shards: [{ name: 'shard-0', status: 'HOT', node: 'alpha' }], schema: created.schema },
    ]);
    await created.put('a', { properties: { title: 'A' } });
    await store.close();

    const reopened = await Store.open({ path });
    const article = reopened.getCollection('Article')!;
    expect(article.schema.properties?.map((p) => p.name)).toEqual(['title', 'body']);
    expect(await article.get('a')).toMatchObject({ properties: { title: 'A' } });
    await reopened.deleteCollection('Article');
    await expect(article.get('a')).rejects.toSatisfy(code('NOT_FOUND'));
    await expect(reopened.deleteCollection('Article')).rejects.toSatisfy(code('NOT_FOUND'));
    expect(await reopened.collectionExists('Article')).toBe(false);
    expect(existsSync(join(path, 'collections', 'Article'))).toBe(false);
    await reopened.close();
    await expect(reopened.listCollections()).rejects.toSatisfy(code('CONFLICT'));
  });

  test('objects: put/get/delete, vectors, timestamps, id validation', async () => {
    const store = await Store.open({ path: scratchDir('objects') });
    const c = await store.createCollection({ class: 'Thing' });
    await c.put('x', { properties: { n: 1 }, vector: new Float32Array([0.5, -2]), creationTimeUnix: 10, lastUpdateTimeUnix: 20 });
    expect(await c.get('x')).toEqual({ id: 'x', properties: { n: 1 }, vector: [0.5, -2], creationTimeUnix: 10, lastUpdateTimeUnix: 20 });
    await c.put('v', { properties: {}, vector: [0.1, 0.2, 1 / 3, 1e-7, -123.456, -0.122392364, 16777217, -0] });
    // float32, printed shortest (9 digits at most; 2^24 + 1 is not a float32)
    expect((await c.get('v'))?.vector).toEqual([0.1, 0.2, 0.33333334, 1e-7, -123.456, -0.122392364, 16777216, 0]);
    await c.put('x', { properties: { n: 2 } }); // replacing without a vector drops the old vector
    const replaced = await c.get('x');
    expect(replaced?.vector).toBeUndefined();
    expect(replaced?.creationTimeUnix).toBeGreaterThan(1_000_000_000_000);
    expect(await c.exists('x')).toBe(true);
    expect(await c.delete('x')).toBe(true);
    expect(await c.delete('x')).toBe(false);
    expect(await c.get('x')).toBeUndefined();
    await expect(c.put('', { properties: {} })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(c.put('y', { properties: [] as never })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(c.put('y', { vector: [1, Number.NaN] })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(c.get('y', { tenant: 't' })).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await store.close();
  });

  test('objects spread over desiredCount shards; scans merge them in id order with an after cursor', async () => {
    const path = scratchDir('sharded');
    const store = await Store.open({ path });
    const c = await store.createCollection({ class: 'Sharded', shardingConfig: { desiredCount: 4 } });
    const ids = Array.from({ length: 500 }, (_, i) => `${(i * 7919) % 1000}-${i}`);
    await Promise.all(ids.map((id) => c.put(id, { properties: { id } })));
    await store.flush();
    for (let shard = 0; shard < 4; shard++) {
      const files = await filesBelow(join(path, 'collections', 'Sharded', `shard-${shard}`, 'objects'));
      expect(files.length, `shard-${shard} holds objects`).toBeGreaterThan(0);
    }
    const paged: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await c.scan({ after, limit: 37 });
      paged.push(...page.map((o) => o.id));
      if (page.length < 37) break;
      after = page.at(-1)!.id;
    }
    expect(paged).toEqual([...ids].sort(byteOrder));
    expect(await c.count()).toBe(500);
    await store.close();
  });

  test('scans return each object with its own vector, or without vectors on request', async () => {
    const store = await Store.open({ path: scratchDir('scan-vectors'), blockBytes: 512 });
    const c = await store.createCollection({ class: 'Vec', shardingConfig: { desiredCount: 3 } });
    const ids = Array.from({ length: 300 }, (_, i) => `v-${String(i).padStart(3, '0')}`);
    // Every third object has no vector; some land in segments, the rest stay in memtables.
    for (const [i, id] of ids.entries()) {
      await c.put(id, { properties: { i }, ...(i % 3 === 0 ? {} : { vector: [i, i / 2] }) });
      if (i === 150) await store.flush();
    }
    for (const id of ids.slice(100, 120)) await c.delete(id);
    const live = ids.filter((_, i) => i < 100 || i >= 120);
    const page = await c.scan({ after: 'v-090', limit: 50 });
    expect(page.map((o) => o.id)).toEqual(live.filter((id) => id > 'v-090').slice(0, 50));
    for (const object of page) {
      const i = object.properties.i as number;
      expect(object.vector, object.id).toEqual(i % 3 === 0 ? undefined : [i, i / 2]);
    }
    const bare = await c.scan({ after: 'v-090', limit: 50, vectors: false });
    expect(bare.map((o) => o.id)).toEqual(page.map((o) => o.id));
    expect(bare.every((o) => o.vector === undefined)).toBe(true);
    await store.close();
  });
});

describe('tenants', () => {
  test('lifecycle: HOT serves, COLD and FROZEN refuse, FROZEN moves files out of the collection, HOT brings them back', async () => {
    const path = scratchDir('tenants');
    const store = await Store.open({ path });
    const mt = await store.createCollection({ class: 'Mt', multiTenancyConfig: { enabled: true } });
    await mt.addTenants([{ name: 'alice' }, { name: 'bob', activityStatus: 'COLD' }, { name: 'carol', activityStatus: 'FROZEN' }]);
    await mt.addTenants([{ name: 'alice', activityStatus: 'COLD' }]); // existing tenants are left alone
    expect(mt.listTenants()).toEqual([
      { name: 'alice', activityStatus: 'HOT' },
      { name: 'bob', activityStatus: 'COLD' },
      { name: 'carol', activityStatus: 'FROZEN' },
    ]);
    await mt.put('1', { properties: { who: 'alice' } }, { tenant: 'alice' });
    await expect(mt.put('1', {}, { tenant: 'bob' })).rejects.toSatisfy(code('CONFLICT'));
    await expect(mt.get('1', { tenant: 'carol' })).rejects.toSatisfy(code('CONFLICT'));
    await expect(mt.get('1', { tenant: 'dave' })).rejects.toSatisfy(code('NOT_FOUND'));
    await expect(mt.get('1')).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    await expect(mt.updateTenants([{ name: 'dave', activityStatus: 'HOT' }])).rejects.toSatisfy(code('NOT_FOUND'));
    await expect(mt.addTenants([{ name: 'bad name' }])).rejects.toSatisfy(code('INVALID_ARGUMENT'));

    await mt.updateTenants([{ name: 'alice', activityStatus: 'FROZEN' }]);
    const local = join(path, 'collections', 'Mt', 'alice');
    const offloaded = join(path, 'offloaded', 'Mt', 'alice');
    expect(existsSync(local)).toBe(false);
    expect((await filesBelow(offloaded)).some((f) => f.endsWith('.seg'))).toBe(true);
    await expect(mt.count({ tenant: 'alice' })).rejects.toSatisfy(code('CONFLICT'));

    await mt.updateTenants([{ name: 'alice', activityStatus: 'COLD' }]);
    expect(existsSync(local)).toBe(true);
    expect(existsSync(offloaded)).toBe(false);
    await store.close();

    const reopened = await Store.open({ path });
    const again = reopened.getCollection('Mt')!;
    expect(again.listTenants().map((t) => t.activityStatus)).toEqual(['COLD', 'COLD', 'FROZEN']);
    await again.updateTenants([{ name: 'alice', activityStatus: 'HOT' }]);
    expect(await again.get('1', { tenant: 'alice' })).toMatchObject({ properties: { who: 'alice' }, tenant: 'alice' });
    expect(await again.count({ tenant: 'alice' })).toBe(1);
    await again.deleteTenants(['alice', 'carol', 'nobody']);
    expect(again.listTenants()).toEqual([{ name: 'bob', activityStatus: 'COLD' }]);
    expect(existsSync(local)).toBe(false);
    expect(existsSync(join(path, 'offloaded', 'Mt', 'carol'))).toBe(false);
    await reopened.close();
  });

  test('a folder move a crash interrupted is settled to match the recorded status at open', async () => {
    const path = scratchDir('tenants-reconcile');
    const store = await Store.open({ path });
    const mt = await store.createCollection({ class: 'Mt', multiTenancyConfig: { enabled: true } });
    await mt.addTenants([{ name: 'hot' }, { name: 'frozen' }]);
    await mt.put('k', { properties: { v: 1 } }, { tenant: 'hot' });
    await mt.updateTenants([{ name: 'frozen', activityStatus: 'FROZEN' }]);
    await store.close();
    // As if a crash hit right after moving folders, before the descriptor was rewritten.
    await rename(join(path, 'collections', 'Mt', 'hot'), join(path, 'offloaded', 'Mt', 'hot'));
    await rename(join(path, 'offloaded', 'Mt', 'frozen'), join(path, 'collections', 'Mt', 'frozen'));
    const reopened = await Store.open({ path });
    expect(await reopened.getCollection('Mt')!.get('k', { tenant: 'hot' })).toMatchObject({ properties: { v: 1 } });
    expect(existsSync(join(path, 'offloaded', 'Mt', 'frozen'))).toBe(true);
    expect(existsSync(join(path, 'collections', 'Mt', 'frozen'))).toBe(false);
    await reopened.close();
  });

  test('tenant operations on a single-tenant collection are refused', async () => {
    const store = await Store.open({ path: scratchDir('tenants-st') });
    const c = await store.createCollection({ class: 'Single' });
    await expect(c.addTenants([{ name: 'a' }])).rejects.toSatisfy(code('INVALID_ARGUMENT'));
    expect(c.listTenants()).toEqual([]);
    await store.close();
  });
});
