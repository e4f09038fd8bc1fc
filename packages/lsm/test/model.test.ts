/**
 * Model-based test: thousands of seeded random operations against the store
 * and against a plain Map must agree, across flushes, compactions and
 * close/reopen. Tiny memtables and blocks force many segments and merges.
 */
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
      const counts = { put: 0, delete: 0, get: 0, scan: 0, flush: 0, compact: 0, reopen: 0 };

      for (let i = 0; i < OPERATIONS; i++) {
        const roll = random();
        if (roll < 0.45) {
          const id = randomId(random);
          const value = `${i}:${'v'.repeat(Math.floor(random() * 200))}`;
          await collection.put(id, { properties: { value }, vector: [i, -i] });
          model.set(id, value);
          counts.put++;
        } else if (roll < 0.65) {
          const id = randomId(random);
          expect(await collection.delete(id)).toBe(model.has(id));
          model.delete(id);
          counts.delete++;
        } else if (roll < 0.85) {
          const id = randomId(random);
          const found = await collection.get(id);
          expect(found?.properties.value, `get ${id} at op ${i}`).toBe(model.get(id));
          if (found !== undefined) expect(found.vector).toEqual([Number(model.get(id)!.split(':')[0]), -Number(model.get(id)!.split(':')[0])]);
          counts.get++;
        } else if (roll < 0.95) {
          const after = random() < 0.3 ? undefined : randomId(random);
          const limit = 1 + Math.floor(random() * 60);
          const expected = [...model.keys()]
            .sort(byteOrder)
            .filter((id) => after === undefined || byteOrder(id, after) > 0)
            .slice(0, limit);
          const scanned = await collection.scan({ after, limit });
          expect(scanned.map((o) => o.id), `scan after ${after} at op ${i}`).toEqual(expected);
          expect(scanned.map((o) => o.properties.value)).toEqual(expected.map((id) => model.get(id)));
          counts.scan++;
        } else if (roll < 0.97) {
          await store.flush();
          counts.flush++;
        } else if (roll < 0.985) {
          await store.compact();
          counts.compact++;
        } else {
          await store.close();
          store = await Store.open(options);
          collection = store.getCollection('Model')!;
          counts.reopen++;
        }
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
      expect((await collection.scan({ limit: 10_000 })).map((o) => o.properties.value)).toEqual(
        [...model.keys()].sort(byteOrder).map((id) => model.get(id)),
      );
      await store.close();
      for (const [kind, n] of Object.entries(counts)) expect(n, `${kind} operations ran`).toBeGreaterThan(0);
    });
  }
});
