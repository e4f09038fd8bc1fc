// The reference store as the host of runBackupConformance: opens fresh stores,
// fills them with a deterministic data set, and dumps everything a restore
// must bring back.
import type { BackupHost } from '@backup/conformance';
import { Store, type StoredObject, type Tenant } from '@backup/lsm';

/** Small memtables, so every shard holds several segments (and compaction runs) like a busy store. */
const MEMTABLE_BYTES = 256 * 1024;

/** mulberry32: a tiny seeded generator, so every run backs up the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['backup', 'segment', 'memtable', 'tenant', 'vector', 'restore', 'chunk', 'bucket', 'shard', 'bloom', 'compaction', 'snapshot'];

function text(next: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function vector(next: () => number, dimensions: number): number[] {
  return Array.from({ length: dimensions }, () => next() * 2 - 1);
}

/** Writes `count` objects with at most 64 writes in flight. */
async function putMany(count: number, put: (index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += 64) {
    await Promise.all(Array.from({ length: Math.min(64, count - start) }, (_, offset) => put(start + offset)));
  }
}

/**
 * About 3 MiB: `Article` (two shards, 1 500 objects with 48-dimension vectors
 * and a text body) and the multi-tenant `Review` (two HOT tenants and one
 * COLD one, 8-dimension vectors).
 */
async function populate(store: Store): Promise<void> {
  const next = random(42);
  const article = await store.createCollection({
    class: 'Article',
    description: 'news articles',
    properties: [
      { name: 'title', dataType: ['text'] },
      { name: 'body', dataType: ['text'] },
      { name: 'words', dataType: ['int'] },
      { name: 'published', dataType: ['boolean'] },
    ],
    shardingConfig: { desiredCount: 2 },
  });
  const articles = Array.from({ length: 1500 }, () => ({ id: uuid(next), title: text(next, 6), body: text(next, 180), vector: vector(next, 48) }));
  await putMany(articles.length, async (index) => {
    const { id, title, body, vector: values } = articles[index]!;
    await article.put(id, { properties: { title, body, words: 180, published: index % 3 === 0 }, vector: values });
  });

  const review = await store.createCollection({
    class: 'Review',
    properties: [
      { name: 'text', dataType: ['text'] },
      { name: 'stars', dataType: ['int'] },
    ],
    multiTenancyConfig: { enabled: true },
  });
  const tenants: [string, number][] = [
    ['tenantA', 300],
    ['tenantB', 150],
    ['tenantCold', 120],
  ];
  await review.addTenants(tenants.map(([name]) => ({ name, activityStatus: 'HOT' as const })));
  for (const [tenant, count] of tenants) {
    const reviews = Array.from({ length: count }, () => ({ id: uuid(next), text: text(next, 40), stars: 1 + Math.floor(next() * 5), vector: vector(next, 8) }));
    await putMany(count, async (index) => {
      const { id, text: body, stars, vector: values } = reviews[index]!;
      await review.put(id, { properties: { text: body, stars }, vector: values }, { tenant });
    });
  }
  await review.updateTenants([{ name: 'tenantCold', activityStatus: 'COLD' }]);
}

/**
 * What a busy store does between two backups: about 1 % new articles, some
 * updated and some deleted, reviews of one tenant deleted; step 2 and later
 * also compact every shard (segments replaced by merged ones).
 */
async function mutate(store: Store, step: number): Promise<void> {
  const next = random(1000 + step);
  const article = store.getCollection('Article')!;
  const existing = await article.scan({ limit: 40 });
  await putMany(15, async () => {
    await article.put(uuid(next), { properties: { title: text(next, 6), body: text(next, 180), words: 180, published: true }, vector: vector(next, 48) });
  });
  for (const object of existing.slice(0, 10)) {
    await article.put(object.id, { properties: { ...object.properties, title: `updated in step ${step}` }, vector: object.vector ?? vector(next, 48) });
  }
  for (const object of existing.slice(10 + step * 5, 20 + step * 5)) await article.delete(object.id);
  const review = store.getCollection('Review')!;
  for (const object of await review.scan({ tenant: 'tenantA', limit: 5 })) await review.delete(object.id, { tenant: 'tenantA' });
  await store.flush();
  if (step >= 2) await store.compact();
}

async function scanAll(scan: (after: string | undefined) => Promise<StoredObject[]>): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for (let page = await scan(undefined); page.length > 0; page = await scan(page.at(-1)!.id)) objects.push(...page);
  return objects;
}

/**
 * Every collection's schema, tenants (with statuses) and objects (with
 * properties, vectors and timestamps), in id order. COLD tenants are woken to
 * be read and put back to sleep. Node names are left out: a restore under
 * another node name holds the same data.
 */
async function dump(store: Store): Promise<unknown> {
  const collections = [];
  for (const description of await store.listCollections()) {
    const collection = store.getCollection(description.name)!;
    const objects: Record<string, StoredObject[]> = {};
    let tenants: Tenant[] = [];
    if (collection.multiTenant) {
      tenants = collection.listTenants().sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const tenant of tenants) {
        if (tenant.activityStatus === 'FROZEN') continue;
        if (tenant.activityStatus === 'COLD') await collection.updateTenants([{ name: tenant.name, activityStatus: 'HOT' }]);
        objects[tenant.name] = await scanAll((after) => collection.scan({ tenant: tenant.name, limit: 500, ...(after ? { after } : {}) }));
        if (tenant.activityStatus === 'COLD') await collection.updateTenants([{ name: tenant.name, activityStatus: 'COLD' }]);
      }
    } else {
      objects['*'] = await scanAll((after) => collection.scan({ limit: 500, ...(after ? { after } : {}) }));
    }
    collections.push({
      name: description.name,
      schema: description.schema,
      shards: description.shards.map((shard) => ({ name: shard.name, status: shard.status })),
      tenants,
      objects,
    });
  }
  return collections;
}

/** The reference store, as `runBackupConformance` drives a store. */
export const lsmHost: BackupHost<Store> = {
  open: ({ directory, nodeName }) => Store.open({ path: directory, nodeName, syncWrites: false, memtableBytes: MEMTABLE_BYTES }),
  populate,
  mutate,
  dump,
  close: (store) => store.close(),
};
