/**
 * The snapshot hook under load: a consistent cut at the flush point, files
 * that stay byte-identical while compaction deletes the originals, and a
 * snapshot that a fresh store can open and read.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BackupError, type CollectionSnapshot } from '@backup/core';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir, sha256 } from './scratch.ts';

type Phase = 'before' | 'during' | 'after';

interface WriteRecord {
  readonly id: string;
  readonly loop: number;
  readonly seq: number;
  readonly issued: Phase;
  acked?: Phase;
}

/** Copies a snapshot's files into a second store through prepareRestore/commit, as the engine would. */
async function restoreInto(store: Store, snapshot: CollectionSnapshot): Promise<void> {
  const target = await store.prepareRestore(snapshot.collection);
  for (const file of snapshot.files) {
    const to = join(target.directory, file.path);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(snapshot.root, file.path), to);
  }
  await target.commit(snapshot.metadata);
}

/** Waits until `done()` holds (the writers' progress, not the clock, decides). */
async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('snapshot', () => {
  test('is a consistent cut while writers run, and its files outlive compaction', { timeout: 60_000 }, async () => {
    const store = await Store.open({ path: scratchDir('snap-src'), memtableBytes: 32 * 1024, blockBytes: 2048, compactionTrigger: 2 });
    const collection = await store.createCollection({ class: 'Snap', shardingConfig: { desiredCount: 2 } });
    let phase: Phase = 'before';
    let stop = false;
    const writes: WriteRecord[] = [];
    const writer = async (loop: number) => {
      for (let seq = 0; !stop; seq++) {
        const record: WriteRecord = { id: `w${loop}-${String(seq).padStart(6, '0')}`, loop, seq, issued: phase };
        writes.push(record);
        await collection.put(record.id, { properties: { loop, seq, pad: 'p'.repeat(300) } });
        record.acked = phase;
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    // Enough acknowledged writes that every shard flushed before the cut (so compaction has
    // originals to delete), whatever the machine's speed; a fixed sleep could give a loaded one too few.
    await until('writes before the snapshot', () => writes.filter((w) => w.acked === 'before').length >= 600);
    phase = 'during';
    const snapshot = await store.snapshot('Snap');
    phase = 'after';
    await until('writes after the snapshot', () => writes.filter((w) => w.issued === 'after').length >= 300);
    stop = true;
    await Promise.all(writers); // no write failed because of the snapshot

    expect(snapshot.collection).toBe('Snap');
    expect(snapshot.skipped).toEqual([]);
    expect(snapshot.shards.map((s) => [s.shard, s.status])).toEqual([
      ['shard-0', 'HOT'],
      ['shard-1', 'HOT'],
    ]);
    for (const report of snapshot.shards) expect(report.writerStallMs).toBeLessThan(20);
    expect(snapshot.files.some((f) => f.path.endsWith('.seg'))).toBe(true);
    expect(snapshot.files.filter((f) => f.path.endsWith('/MANIFEST')).map((f) => f.shard)).toEqual(['shard-0', 'shard-1']);
    // Segments are written once and only deleted, so an incremental backup may know them by identity; the manifest changes.
    for (const file of snapshot.files) expect(file.immutable, file.path).toBe(file.path.endsWith('.seg'));
    for (const file of snapshot.files) {
      expect(file.path.startsWith(`${file.shard}/`)).toBe(true);
      expect(file.path).not.toMatch(/wal-/); // after the flush no WAL is needed
    }

    // The listed files are frozen: compaction resumes and deletes the originals, the staged bytes stay.
    const before = new Map<string, string>();
    for (const file of snapshot.files) {
      const staged = join(snapshot.root, file.path);
      expect((await stat(staged)).size).toBe(file.size);
      before.set(file.path, await sha256(staged));
    }
    await store.compact();
    const segments = snapshot.files.filter((f) => f.path.endsWith('.seg'));
    const originalsGone = segments.filter((f) => !existsSync(join(store.path, 'collections', 'Snap', f.path)));
    expect(originalsGone.length, 'compaction deleted original segments').toBeGreaterThan(0);
    for (const file of snapshot.files) expect(await sha256(join(snapshot.root, file.path)), file.path).toBe(before.get(file.path));

    // A fresh store opened on a copy of the snapshot sees exactly the cut.
    const copy = await Store.open({ path: scratchDir('snap-copy') });
    await restoreInto(copy, snapshot);
    const restored = copy.getCollection('Snap')!;
    const present = new Set((await restored.scan({ limit: 1_000_000 })).map((o) => o.id));
    const ackedBefore = writes.filter((w) => w.acked === 'before');
    const issuedAfter = writes.filter((w) => w.issued === 'after');
    expect(ackedBefore.length).toBeGreaterThan(10);
    expect(issuedAfter.length).toBeGreaterThan(10);
    for (const w of ackedBefore) expect(present.has(w.id), `${w.id} acknowledged before the snapshot`).toBe(true);
    for (const w of issuedAfter) expect(present.has(w.id), `${w.id} issued after the snapshot`).toBe(false);
    for (let loop = 0; loop < 4; loop++) {
      const seqs = writes.filter((w) => w.loop === loop && present.has(w.id)).map((w) => w.seq);
      expect(seqs, `loop ${loop}: a prefix`).toEqual(seqs.map((_, i) => i));
    }
    expect((await restored.get('w0-000000'))?.properties).toEqual({ loop: 0, seq: 0, pad: 'p'.repeat(300) });
    expect(await restored.count()).toBe(present.size);

    await snapshot.release();
    expect(existsSync(snapshot.root)).toBe(false);
    await snapshot.release(); // idempotent
    await copy.close();
    await store.close();
  });

  test('takes COLD tenants from disk, skips FROZEN ones, and carries tenant statuses in its metadata', async () => {
    const store = await Store.open({ path: scratchDir('snap-mt') });
    const mt = await store.createCollection({ class: 'Tenanted', multiTenancyConfig: { enabled: true } });
    await mt.addTenants([
      { name: 'hot', activityStatus: 'HOT' },
      { name: 'cold', activityStatus: 'HOT' },
      { name: 'frozen', activityStatus: 'HOT' },
    ]);
    for (const tenant of ['hot', 'cold', 'frozen']) await mt.put(`${tenant}-1`, { properties: { tenant } }, { tenant });
    await mt.updateTenants([
      { name: 'cold', activityStatus: 'COLD' },
      { name: 'frozen', activityStatus: 'FROZEN' },
    ]);

    const snapshot = await store.snapshot('Tenanted');
    expect(snapshot.shards.map((s) => [s.shard, s.status])).toEqual([
      ['hot', 'HOT'],
      ['cold', 'COLD'],
    ]);
    expect(snapshot.skipped.map((s) => s.shard)).toEqual(['frozen']);
    expect(new Set(snapshot.files.map((f) => f.shard))).toEqual(new Set(['hot', 'cold']));
    // A COLD tenant's WAL files (writes never flushed) are not immutable: they grow once it opens again.
    for (const file of snapshot.files) expect(file.immutable, file.path).toBe(file.path.endsWith('.seg'));
    expect((snapshot.metadata as { tenants: unknown }).tenants).toEqual([
      { name: 'hot', activityStatus: 'HOT' },
      { name: 'cold', activityStatus: 'COLD' },
    ]);
    const listed = await store.listCollections();
    expect(listed.find((c) => c.name === 'Tenanted')?.shards).toEqual([
      { name: 'hot', status: 'HOT', node: 'node1' },
      { name: 'cold', status: 'COLD', node: 'node1' },
      { name: 'frozen', status: 'FROZEN', node: 'node1' },
    ]);

    const copy = await Store.open({ path: scratchDir('snap-mt-copy'), nodeName: 'node2' });
    await restoreInto(copy, snapshot);
    const restored = copy.getCollection('Tenanted')!;
    expect(restored.listTenants()).toEqual([
      { name: 'hot', activityStatus: 'HOT' },
      { name: 'cold', activityStatus: 'COLD' },
    ]);
    expect((await restored.get('hot-1', { tenant: 'hot' }))?.properties).toEqual({ tenant: 'hot' });
    await expect(restored.get('cold-1', { tenant: 'cold' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await restored.updateTenants([{ name: 'cold', activityStatus: 'HOT' }]);
    expect((await restored.get('cold-1', { tenant: 'cold' }))?.properties).toEqual({ tenant: 'cold' });
    await snapshot.release();
    await copy.close();
    await store.close();
  });

  test('rejects unknown collections and aborted signals, leaving no staging behind', async () => {
    const store = await Store.open({ path: scratchDir('snap-errors') });
    await store.createCollection({ class: 'Some' });
    await expect(store.snapshot('Missing')).rejects.toSatisfy((e) => BackupError.is(e, 'NOT_FOUND'));
    const controller = new AbortController();
    controller.abort();
    await expect(store.snapshot('Some', { signal: controller.signal })).rejects.toSatisfy((e) => BackupError.is(e, 'ABORTED'));
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(store.path, 'snapshots'))).toEqual([]);
    await store.close();
  });
});
