/**
 * Recovery from damaged files: a torn WAL tail (what a power cut leaves) is
 * dropped and counted, never fatal; a damaged segment is reported as CORRUPT
 * on read; files no manifest names are removed at open.
 */
import { cp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from '@backup/core';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

async function walFiles(shardDir: string): Promise<string[]> {
  return (await readdir(shardDir)).filter((name) => name.startsWith('wal-')).sort();
}

describe('recovery', () => {
  test('a torn WAL tail loses only the torn record, and is counted', async () => {
    const live = await Store.open({ path: scratchDir('torn-live') });
    const collection = await live.createCollection({ class: 'Torn' });
    for (let i = 0; i < 20; i++) await collection.put(`id-${i}`, { properties: { i } });
    // A crash image: copy the folder while the store is still open (nothing was flushed).
    const image = scratchDir('torn-image');
    await cp(live.path, image, { recursive: true });
    await live.close();

    const shardDir = join(image, 'collections', 'Torn', 'shard-0');
    const [wal] = await walFiles(shardDir);
    const file = join(shardDir, wal!);
    const { size } = await stat(file);
    await truncate(file, size - 7); // the last record is cut short

    const logged: string[] = [];
    const store = await Store.open({ path: image, log: (m) => logged.push(m) });
    expect(store.recovery).toMatchObject({ walRecordsReplayed: 19, tornWalTails: 1 });
    expect(store.recovery.tornWalBytes).toBeGreaterThan(0);
    expect(logged.some((m) => m.includes('torn'))).toBe(true);
    const recovered = store.getCollection('Torn')!;
    expect(await recovered.count()).toBe(19);
    expect(await recovered.get('id-18')).toMatchObject({ properties: { i: 18 } });
    expect(await recovered.get('id-19')).toBeUndefined();
    // The store keeps working and the replayed data reaches segments.
    await recovered.put('id-19', { properties: { i: 19 } });
    await store.close();
    const again = await Store.open({ path: image });
    expect(again.recovery.tornWalTails).toBe(0);
    expect(await again.getCollection('Torn')!.count()).toBe(20);
    await again.close();
  });

  test('garbage after the last record and a corrupt checksum stop replay at the damage', async () => {
    const live = await Store.open({ path: scratchDir('garbage-live') });
    const collection = await live.createCollection({ class: 'Garbage' });
    for (let i = 0; i < 5; i++) await collection.put(`id-${i}`, { properties: { i } });
    const image = scratchDir('garbage-image');
    await cp(live.path, image, { recursive: true });
    await live.close();
    const shardDir = join(image, 'collections', 'Garbage', 'shard-0');
    const file = join(shardDir, (await walFiles(shardDir))[0]!);
    const bytes = await readFile(file);
    bytes[bytes.length - 3]! ^= 0xff; // flip a byte inside the last record
    await writeFile(file, Buffer.concat([bytes, Buffer.from('not a record at all')]));
    const store = await Store.open({ path: image });
    expect(store.recovery.tornWalTails).toBe(1);
    expect(await store.getCollection('Garbage')!.count()).toBe(4);
    await store.close();
  });

  test('a damaged segment block is reported as CORRUPT when read', async () => {
    const path = scratchDir('corrupt');
    const store = await Store.open({ path, blockBytes: 256 });
    const collection = await store.createCollection({ class: 'Bits' });
    for (let i = 0; i < 50; i++) await collection.put(`id-${String(i).padStart(2, '0')}`, { properties: { text: 'x'.repeat(40) } });
    await store.close();
    const bucketDir = join(path, 'collections', 'Bits', 'shard-0', 'objects');
    const [segment] = await readdir(bucketDir);
    const file = join(bucketDir, segment!);
    const bytes = await readFile(file);
    bytes[10]! ^= 0x55; // inside the first data block
    await writeFile(file, bytes);
    const reopened = await Store.open({ path });
    const bits = reopened.getCollection('Bits')!;
    await expect(bits.get('id-00')).rejects.toSatisfy((e) => BackupError.is(e, 'CORRUPT'));
    await expect(bits.scan({ limit: 10 })).rejects.toSatisfy((e) => BackupError.is(e, 'CORRUPT'));
    expect(await bits.get('id-49')).toMatchObject({ id: 'id-49' }); // other blocks still read
    await reopened.close();

    // A damaged footer fails the open with CORRUPT rather than serving wrong data.
    bytes[bytes.length - 5]! ^= 0x55;
    await writeFile(file, bytes);
    await expect(Store.open({ path })).rejects.toSatisfy((e) => BackupError.is(e, 'CORRUPT'));
  });

  test('segment files no manifest names are crash leftovers and are removed', async () => {
    const path = scratchDir('leftovers');
    const store = await Store.open({ path });
    const collection = await store.createCollection({ class: 'Left' });
    await collection.put('a', { properties: {} });
    await store.close();
    const bucketDir = join(path, 'collections', 'Left', 'shard-0', 'objects');
    await writeFile(join(bucketDir, '999999.seg'), 'half-written by a crashed compaction');
    await writeFile(join(path, 'collections', 'Left', 'shard-0', 'MANIFEST.tmp'), 'half-written manifest');
    const reopened = await Store.open({ path });
    expect(reopened.recovery.leftoversRemoved).toBe(2);
    expect(await readdir(bucketDir)).not.toContain('999999.seg');
    expect(await reopened.getCollection('Left')!.get('a')).toMatchObject({ id: 'a' });
    await reopened.close();
  });
});
