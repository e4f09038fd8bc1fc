import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, type NodeDescriptor } from '../src/index.ts';
import { BackupStatus, createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, treeDigest } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

const MB = 1024 * 1024;

async function seed(h: Harness): Promise<void> {
  await h.source.createCollection({
    name: 'Article',
    multiTenant: false,
    shards: [
      { name: 's0', status: 'HOT' },
      { name: 's1', status: 'HOT' },
    ],
  });
  for (let i = 1; i <= 4; i++) await h.source.writeFile('Article', `s0/objects/00000${i}.seg`, sampleBytes(MB + i * 1000, 0.3 + i / 10));
  await h.source.writeFile('Article', 's0/meta.json', '{"v":1}');
  await h.source.writeFile('Article', 's1/objects/000001.seg', sampleBytes(5 * MB, 0.4)); // split into parts (ChunkSize 2)
  await h.source.writeFile('Article', 's1/empty', '');
  await h.source.createCollection({ name: 'Author', multiTenant: false, shards: [{ name: 's', status: 'HOT' }] });
  await h.source.writeFile('Author', 's/a.seg', sampleBytes(300_000));
}

async function state(h: Harness): Promise<Record<string, Record<string, string>>> {
  return {
    Article: await treeDigest(h.source.collectionDir('Article')),
    Author: await treeDigest(h.source.collectionDir('Author')),
  };
}

async function backup(h: Harness, id: string, base?: string): Promise<void> {
  await h.engine.createBackup({
    backend: 'filesystem',
    id,
    config: { chunkSizeMb: 2 },
    ...(base ? { incrementalBaseBackupId: base } : {}),
  });
  expect(await h.waitForBackup(id)).toBe(BackupStatus.SUCCESS);
}

async function restoreAndRead(h: Harness, id: string): Promise<Record<string, Record<string, string>>> {
  await h.source.dropCollection('Article');
  await h.source.dropCollection('Author');
  await h.engine.restore({ backend: 'filesystem', id });
  expect(await h.waitForRestore(id)).toBe(BackupStatus.SUCCESS);
  return state(h);
}

async function nodeDescriptor(h: Harness, id: string): Promise<NodeDescriptor> {
  return JSON.parse(await readFile(join(h.backupRoot, id, 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
}

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!BackupError.is(error)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return error;
}

describe('incremental backups', { timeout: 120_000 }, () => {
  test('full → incr1 → incr2 with writes, a compaction and deletes between them: each restores to its own point in time', async () => {
    harness = await createHarness('incr-chain');
    const h = harness;
    await seed(h);
    await backup(h, 'full');
    const atFull = await state(h);

    // A flush (new segment), a changed metadata file, a deleted file.
    await h.source.writeFile('Article', 's0/objects/000005.seg', sampleBytes(20_000, 0.7));
    await h.source.writeFile('Article', 's0/meta.json', '{"v":2}');
    await rm(join(h.source.collectionDir('Author'), 's', 'a.seg'));
    await h.source.writeFile('Author', 's/b.seg', sampleBytes(1000));
    await backup(h, 'incr1', 'full');
    const atIncr1 = await state(h);

    // A compaction: two segments replaced by one merged segment, with the same name as one of them but other bytes.
    await rm(join(h.source.collectionDir('Article'), 's0', 'objects', '000001.seg'));
    await h.source.writeFile('Article', 's0/objects/000002.seg', sampleBytes(MB + 2000, 0.9));
    await h.source.writeFile('Article', 's0/objects/000006.seg', sampleBytes(3000, 0.2));
    await backup(h, 'incr2', 'incr1');
    const atIncr2 = await state(h);

    const full = await h.engine.backupStatus('filesystem', 'full');
    const incr1 = await h.engine.backupStatus('filesystem', 'incr1');
    const incr2 = await h.engine.backupStatus('filesystem', 'incr2');
    expect(full.incrementalBaseBackupId).toBeUndefined();
    expect(incr1.incrementalBaseBackupId).toBe('full');
    expect(incr2.incrementalBaseBackupId).toBe('incr1');
    // The big unchanged segments are reused; the new writes are all incr1 uploads.
    expect(incr1.bytesReused).toBeGreaterThan(0);
    expect(incr1.bytesUploaded).toBeLessThan((full.bytesUploaded ?? 0) / 5);
    // Its size is the whole data set's (what a restore writes), not what it uploaded.
    expect(incr1.sizeBytes).toBeGreaterThan(full.sizeBytes - 400_000);
    const descriptor1 = await nodeDescriptor(h, 'incr1');
    const keys1 = descriptor1.collections.flatMap((collection) => collection.chunks.map((chunk) => chunk.key));
    expect(keys1.some((key) => key.startsWith('full/'))).toBe(true);
    expect(keys1.some((key) => key.startsWith('incr1/'))).toBe(true);
    // incr2 reuses from incr1's records, which point into full's folder: references are flattened, never chained.
    const keys2 = (await nodeDescriptor(h, 'incr2')).collections.flatMap((collection) => collection.chunks.map((chunk) => chunk.key));
    expect(keys2.some((key) => key.startsWith('full/'))).toBe(true);

    expect(await restoreAndRead(h, 'incr2')).toEqual(atIncr2);
    expect(await restoreAndRead(h, 'incr1')).toEqual(atIncr1);
    expect(await restoreAndRead(h, 'full')).toEqual(atFull);
  });

  test('the sizes add up: an incremental backup of unchanged data uploads no chunk and restores in full', async () => {
    harness = await createHarness('incr-same');
    const h = harness;
    await seed(h);
    await backup(h, 'base');
    await backup(h, 'same', 'base');
    const base = await h.engine.backupStatus('filesystem', 'base');
    const same = await h.engine.backupStatus('filesystem', 'same');
    expect(same.sizeBytes).toBe(base.sizeBytes);
    expect(same.bytesUploaded).toBe(0);
    expect(same.bytesReused).toBe(base.bytesUploaded);
    const before = await state(h);
    expect(await restoreAndRead(h, 'same')).toEqual(before);
  });

  test('an immutable file with the identity the base recorded is reused without being read; a mutable one is read', async () => {
    harness = await createHarness('incr-identity');
    const h = harness;
    await seed(h);
    await backup(h, 'full');
    const atFull = await state(h);
    const files = (await nodeDescriptor(h, 'full')).collections.flatMap((collection) => collection.files);
    expect(files.find((file) => file.path === 's0/objects/000001.seg')?.identity).toMatch(/^\d+:\d+:\d+$/);
    expect(files.find((file) => file.path === 's0/meta.json')?.identity).toBeUndefined();

    // Break the source's promise on purpose: other bytes of the same length in
    // the same inode, the modification time put back to the nanosecond.
    const article = h.source.collectionDir('Article');
    for (const [path, bytes] of [
      ['s0/objects/000001.seg', sampleBytes(MB + 1000, 0.95)],
      ['s0/meta.json', Buffer.from('{"v":9}')],
    ] as const) {
      const file = join(article, ...path.split('/'));
      const reference = `${file}.mtime`;
      execFileSync('touch', ['-r', file, reference]);
      await writeFile(file, bytes, { flag: 'r+' });
      execFileSync('touch', ['-r', reference, file]);
      await rm(reference);
    }
    await backup(h, 'incr', 'full');
    const restored = await restoreAndRead(h, 'incr');
    // The segment was taken from the base, unread: a restore gives the bytes the base read.
    expect(restored.Article?.['s0/objects/000001.seg']).toBe(atFull.Article?.['s0/objects/000001.seg']);
    // The metadata file has no identity, so it was hashed, found changed and uploaded again.
    expect(restored.Article?.['s0/meta.json']).not.toBe(atFull.Article?.['s0/meta.json']);
  });

  test('a base that does not exist or did not succeed is refused (422 codes) before anything is written', async () => {
    harness = await createHarness('incr-bad-base');
    const h = harness;
    await seed(h);
    const missing = await rejection(h.engine.createBackup({ backend: 'filesystem', id: 'x', incrementalBaseBackupId: 'nope' }));
    expect(missing.code).toBe(ErrorCode.INVALID_ARGUMENT);
    const self = await rejection(h.engine.createBackup({ backend: 'filesystem', id: 'x', incrementalBaseBackupId: 'x' }));
    expect(self.code).toBe(ErrorCode.INVALID_ARGUMENT);
    const malformed = await rejection(h.engine.createBackup({ backend: 'filesystem', id: 'x', incrementalBaseBackupId: 'Bad/Id' }));
    expect(malformed.code).toBe(ErrorCode.INVALID_ARGUMENT);
    // A cancelled backup is no base.
    await h.source.writeFile('Article', 's0/big.seg', sampleBytes(30 * MB, 0));
    await h.engine.createBackup({ backend: 'filesystem', id: 'canceled', config: { compressionLevel: 'BestCompression' } });
    await h.engine.cancelBackup('filesystem', 'canceled');
    expect(await h.waitForBackup('canceled')).toBe(BackupStatus.CANCELED);
    const canceled = await rejection(h.engine.createBackup({ backend: 'filesystem', id: 'x', incrementalBaseBackupId: 'canceled' }));
    expect(canceled.code).toBe(ErrorCode.INVALID_ARGUMENT);
    await expect(h.engine.backupStatus('filesystem', 'x')).rejects.toSatisfy((error) => BackupError.is(error, ErrorCode.NOT_FOUND));
  });

  test('a restore whose reused object was removed underneath fails BASE_MISSING naming it, before touching any collection', async () => {
    harness = await createHarness('incr-missing');
    const h = harness;
    await seed(h);
    await backup(h, 'full');
    await h.source.writeFile('Article', 's0/objects/000009.seg', sampleBytes(10_000));
    await backup(h, 'incr', 'full');
    const reused = (await nodeDescriptor(h, 'incr')).collections.flatMap((collection) => collection.chunks).find((chunk) => chunk.key.startsWith('full/'));
    if (!reused) throw new Error('incr reuses nothing');
    await rm(join(h.backupRoot, ...reused.key.split('/')));
    await h.source.dropCollection('Article');
    await h.source.dropCollection('Author');
    const error = await rejection(h.engine.restore({ backend: 'filesystem', id: 'incr' }));
    expect(error.code).toBe(ErrorCode.BASE_MISSING);
    expect(error.message).toContain(reused.key);
    expect(await h.source.collectionExists('Article')).toBe(false);
  });
});
