import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, FORMAT_VERSION, type NodeDescriptor } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { BackupStatus, createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, treeDigest } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

async function seed(h: Harness): Promise<void> {
  await h.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 'shard0', status: 'HOT' }] });
  await h.source.writeFile('Article', 'shard0/objects/000001.seg', sampleBytes(300_000));
  await h.source.writeFile('Article', 'shard0/objects/000001.bloom', sampleBytes(1_000));
  await h.source.writeFile('Article', 'shard0/meta.json', '{"a":1}');
  await h.source.writeFile('Article', 'shard0/empty', '');
  await h.source.createCollection({ name: 'Author', multiTenant: false, shards: [{ name: 's', status: 'HOT' }] });
  await h.source.writeFile('Author', 's/a.seg', sampleBytes(10_000));
}

describe('backup and restore through the engine', () => {
  test('a backup restores every file byte for byte, with the descriptor recording every chunk and file', async () => {
    harness = await createHarness('roundtrip');
    await seed(harness);
    const before = { Article: await treeDigest(harness.source.collectionDir('Article')) };
    const created = await harness.engine.createBackup({ backend: 'filesystem', id: 'first' });
    expect(created).toMatchObject({ id: 'first', backend: 'filesystem', status: 'STARTED', classes: ['Article', 'Author'] });
    expect(created.path).toBe(join(harness.backupRoot, 'first'));
    expect(await harness.waitForBackup('first')).toBe(BackupStatus.SUCCESS);

    const status = await harness.engine.backupStatus('filesystem', 'first');
    expect(status.sizeBytes).toBe(300_000 + 1_000 + 7 + 10_000);
    const node = JSON.parse(await readFile(join(harness.backupRoot, 'first', 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
    expect(node.version).toBe(FORMAT_VERSION);
    const article = node.collections.find((collection) => collection.name === 'Article');
    expect(article?.files.map((file) => file.path)).toEqual([
      'shard0/empty',
      'shard0/meta.json',
      'shard0/objects/000001.bloom',
      'shard0/objects/000001.seg',
    ]);
    for (const file of article?.files ?? []) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const chunk of article?.chunks ?? []) expect(chunk.sha256).toMatch(/^[0-9a-f]{64}$/);

    await harness.source.dropCollection('Article');
    await harness.source.dropCollection('Author');
    await harness.engine.restore({ backend: 'filesystem', id: 'first', include: ['Art*'] });
    expect(await harness.waitForRestore('first')).toBe(BackupStatus.SUCCESS);
    expect(await harness.source.collectionExists('Author')).toBe(false);
    const after = await treeDigest(harness.source.collectionDir('Article'));
    expect(after).toEqual(before.Article);
    expect(await listFiles(join(harness.source.root, '.staging'))).toEqual([]);
    expect(harness.source.heldSnapshots.size).toBe(0);
  });

  test('a second backup while one runs is refused with CONFLICT', async () => {
    harness = await createHarness('conflict');
    await seed(harness);
    await harness.source.writeFile('Article', 'shard0/big.seg', sampleBytes(20_000_000, 0));
    await harness.engine.createBackup({ backend: 'filesystem', id: 'one', config: { compressionLevel: 'BestCompression' } });
    const second = harness.engine.createBackup({ backend: 'filesystem', id: 'two' });
    await expect(second).rejects.toSatisfy((error) => BackupError.is(error, ErrorCode.CONFLICT));
    await harness.waitForBackup('one');
  });
});
