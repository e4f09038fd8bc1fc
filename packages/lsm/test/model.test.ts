/**
 * Model-based test: thousands of seeded random operations against the store
 * and against a plain Map must agree, across flushes, compactions and
 * close/reopen. Tiny memtables and blocks force many segments and merges.
 * After every step the object counts (total and per shard) must match too;
 * bursts of concurrent puts and deletes of a few ids check that writes of one
 * id apply in call order and that `delete` reports what was there.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { type Collection, Store, type StoreOptions } from '../src/index.ts';
import { byteOrder, prng, scratchDir } from './scratch.ts';

const OPERATIONS = 6000;
const SEEDS = [1, 7, 2026];

function randomId(random: () => number): string {
  const n = Math.floor(random() * 400);
  // Mixed widths and some multi-byte characters, so byte order differs from naive string order.
  return n % 17 === 0 ? `é-${n}` : n % 13 === 0 ? `${n}` : `id-${String(n).padStart(4, '0')}`;
}

/** The vector stored with a value `<op>:...`: `[op, -op]`, or none when the value says so. */
function vectorOf(value: string): { vector?: number[] } {
  const op = Number(value.split(':')[0]);
  return value.includes(':novector') ? {} : { vector: [op, 0 - op] }; // 0 - 0 is +0, as read back
}

describe('store agrees with a Map model', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}`, { timeout: 120_000 }, async () => {
      const random = prng(seed);
      const options: StoreOptions = {
        path: scratchDir('model'),
        memtableBytes: 6 * 1024,
        blockBytes: 512,
        compactionTrigger: 3,
        syncWrites: false,
      };
      let store = await Store.open(options);
      let collection: Collection = await store.createCollection({ class: 'Model', shardingConfig: { desiredCount: 3 } });
      const model = new Map<string, string>();
      const counts = { put: 0, delete: 0, burst: 0, get: 0, scan: 0, flush: 0, compact: 0, reopen: 0 };
      // Object → shard is documented: CRC-32 of the id's UTF-8 bytes modulo the shard count.
      const shardOf = (id: string) => `shard-${crc32(Buffer.from(id, 'utf8')) % 3}`;
      const expectCounts = async (step: string) => {
        const expected: Record<string, number> = { 'shard-0': 0, 'shard-1': 0, 'shard-2': 0 };
        for (const id of model.keys()) expected[shardOf(id)]!++;
        expect(await collection.shardCounts(), `shard counts after ${step}`).toEqual(expected);
        expect(await collection.count(), `count after ${step}`).toBe(model.size);
      };

      for (let i = 0; i < OPERATIONS; i++) {
        const roll = random();
        let kind: keyof typeof counts;
        if (roll < 0.42) {
          kind = 'put';
          const id = randomId(random);
          // A fifth of the objects have no vector (the vectors bucket then holds a tombstone).
          const value = `${i}:${random() < 0.2 ? 'novector' : ''}${'v'.repeat(Math.floor(random() * 200))}`;
          await collection.put(id, { properties: { value }, ...vectorOf(value) });
          model.set(id, value);
        } else if (roll < 0.6) {
          kind = 'delete';
          const id = randomId(random);
          expect(await collection.delete(id)).toBe(model.has(id));
          model.delete(id);
        } else if (roll < 0.65) {
          kind = 'burst';
          const ids = [randomId(random), randomId(random), randomId(random)];
          const writes: Promise<unknown>[] = [];
          const existed: boolean[] = [];
          for (let n = 2 + Math.floor(random() * 10), j = 0; j < n; j++) {
            const id = ids[Math.floor(random() * ids.length)]!;
            if (random() < 0.6) {
              // Distinct per write, so a write applied out of call order shows.
              const value = `${i}:burst-${j}-${'b'.repeat(Math.floor(random() * 200))}`;
              writes.push(collection.put(id, { properties: { value }, ...vectorOf(value) }));
              model.set(id, value);
            } else {
              existed.push(model.has(id));
              writes.push(collection.delete(id));
              model.delete(id);
            }
          }
          const results = await Promise.all(writes);
          expect(
            results.filter((r) => typeof r === 'boolean'),
            `deletes of burst ${i}`,
          ).toEqual(existed);
        } else if (roll < 0.83) {
          kind = 'get';
          const id = randomId(random);
          const found = await collection.get(id);
          expect(found?.properties.value, `get ${id} at op ${i}`).toBe(model.get(id));
          if (found !== undefined) expect(found.vector).toEqual(vectorOf(found.properties.value as string).vector);
        } else if (roll < 0.95) {
          kind = 'scan';
          const after = random() < 0.3 ? undefined : randomId(random);
          const limit = 1 + Math.floor(random() * 60);
          const expected = [...model.keys()]
            .sort(byteOrder)
            .filter((id) => after === undefined || byteOrder(id, after) > 0)
            .slice(0, limit);
          const scanned = await collection.scan({ after, limit });
          expect(
            scanned.map((o) => o.id),
            `scan after ${after} at op ${i}`,
          ).toEqual(expected);
          expect(scanned.map((o) => o.properties.value)).toEqual(expected.map((id) => model.get(id)));
          expect(scanned.map((o) => o.vector)).toEqual(expected.map((id) => vectorOf(model.get(id)!).vector));
        } else if (roll < 0.97) {
          kind = 'flush';
          await store.flush();
        } else if (roll < 0.985) {
          kind = 'compact';
          await store.compact();
        } else {
          kind = 'reopen';
          await store.close();
          store = await Store.open(options);
          collection = store.getCollection('Model')!;
        }
        counts[kind]++;
        // Always after flush, compaction and reopen; after a quarter of the other steps, so
        // that writes whose count needs a segment lookup also reach a flush uncounted.
        if (kind === 'flush' || kind === 'compact' || kind === 'reopen' || random() < 0.25) await expectCounts(`${kind} at op ${i}`);
      }
      expect(await collection.count()).toBe(model.size);
      const everything = await collection.scan({ limit: 10_000 });
      expect(everything.map((o) => o.id)).toEqual([...model.keys()].sort(byteOrder));
      await store.close();

      // Everything survives one last reopen, and a full compaction drops every tombstone.
      store = await Store.open(options);
      collection = store.getCollection('Model')!;
      expect(await collection.count()).toBe(model.size);
      await store.compact();
      expect((await collection.scan({ limit: 10_000 })).map((o) => o.properties.value)).toEqual([...model.keys()].sort(byteOrder).map((id) => model.get(id)));
      await store.close();
      for (const [kind, n] of Object.entries(counts)) expect(n, `${kind} operations ran`).toBeGreaterThan(0);
    });
  }
});
