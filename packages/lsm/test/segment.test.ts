/** Segment files and the bloom filter on their own. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BloomFilter } from '../src/bloom.ts';
import { Segment } from '../src/segment.ts';
import { SegmentWriter } from '../src/segment-writer.ts';
import { scratchDir } from './scratch.ts';

const key = (i: number) => Buffer.from(`key-${String(i).padStart(6, '0')}`);

describe('bloom filter', () => {
  test('has no false negatives and about 1% false positives at 10 bits per key', () => {
    const filter = BloomFilter.create(10_000, 10);
    for (let i = 0; i < 10_000; i += 1) filter.add(key(i));
    for (let i = 0; i < 10_000; i += 1) expect(filter.mayContain(key(i))).toBe(true);
    let falsePositives = 0;
    for (let i = 10_000; i < 60_000; i++) if (filter.mayContain(key(i))) falsePositives++;
    expect(falsePositives / 50_000).toBeLessThan(0.02);
    const copy = BloomFilter.deserialize(filter.serialize());
    for (let i = 0; i < 100; i++) expect(copy.mayContain(key(i))).toBe(true);
  });
});

describe('segment', () => {
  test('point reads, tombstones and ordered iteration from any key', async () => {
    const dir = scratchDir('segment');
    const file = join(dir, '000001.seg');
    const writer = await SegmentWriter.create(file, { expectedEntries: 3000, blockBytes: 1024, bloomBitsPerKey: 10 });
    for (let i = 0; i < 3000; i += 2) await writer.add({ key: key(i), value: i % 10 === 0 ? null : Buffer.from(`value-${i}`) });
    const size = await writer.finish();
    const segment = await Segment.open(file, '000001.seg');
    expect(segment.size).toBe(size);
    expect(segment.entryCount).toBe(1500);
    expect(segment.tombstoneCount).toBe(300);
    expect((await segment.get(key(2)))?.toString()).toBe('value-2');
    expect(await segment.get(key(10))).toBeNull(); // a tombstone: deleted here
    expect(await segment.get(key(3))).toBeUndefined(); // never written
    expect(await segment.get(Buffer.from('zzz'))).toBeUndefined();
    // Every key, in every position of its block (first, middle, last) and between blocks.
    for (let i = 0; i < 3000; i++) {
      const found = await segment.get(key(i));
      if (i % 2 === 1) expect(found, `key ${i}`).toBeUndefined();
      else if (i % 10 === 0) expect(found, `key ${i}`).toBeNull();
      else expect(found?.toString(), `key ${i}`).toBe(`value-${i}`);
    }
    const after: string[] = [];
    for await (const entry of segment.entries(key(2991))) after.push(entry.key.toString());
    expect(after).toEqual(['key-002992', 'key-002994', 'key-002996', 'key-002998']);
    let all = 0;
    for await (const _ of segment.entries()) all++;
    expect(all).toBe(1500);
    segment.unref();
  });

  test('refuses keys out of order', async () => {
    const writer = await SegmentWriter.create(join(scratchDir('segment-order'), 'x.seg'), { expectedEntries: 2, blockBytes: 1024, bloomBitsPerKey: 10 });
    await writer.add({ key: key(2), value: Buffer.from('b') });
    await expect(writer.add({ key: key(1), value: Buffer.from('a') })).rejects.toThrow(RangeError);
    await writer.abort();
  });
});
