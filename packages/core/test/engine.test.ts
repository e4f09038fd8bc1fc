import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, FORMAT_VERSION, type NodeDescriptor } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { BackupStatus, createHarness, type Harness } from './fixtures/harness.ts';
import { CountingFilesystemProvider } from './fixtures/counting-provider.ts';
import { sampleBytes, treeDigest, waitFor } from './fixtures/scratch.ts';

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

describe('backup and restore through the engine', { timeout: 120_000 }, () => {
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
    expect(article?.files.map((file) => file.path)).toEqual(['shard0/empty', 'shard0/meta.json', 'shard0/objects/000001.bloom', 'shard0/objects/000001.seg']);
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

async function collections(h: Harness, names: string[]): Promise<void> {
  for (const name of names) {
    await h.source.createCollection({ name, multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await h.source.writeFile(name, 's0/data.seg', sampleBytes(5_000));
  }
}

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!BackupError.is(error)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return error;
}

describe('choosing collections', { timeout: 120_000 }, () => {
  test('include and exclude take names and * / ? wildcards', async () => {
    harness = await createHarness('select');
    await collections(harness, ['Article', 'ArticleArchive', 'Author', 'Book']);
    const include = await harness.engine.createBackup({ backend: 'filesystem', id: 'inc', include: ['Art*'] });
    expect(include.classes).toEqual(['Article', 'ArticleArchive']);
    await harness.waitForBackup('inc');
    const exclude = await harness.engine.createBackup({ backend: 'backup-filesystem', id: 'exc', exclude: ['A?thor', 'Book'] });
    expect(exclude.classes).toEqual(['Article', 'ArticleArchive']);
    await harness.waitForBackup('exc');
    for (const name of ['Article', 'ArticleArchive']) await harness.source.dropCollection(name);
    const restore = await harness.engine.restore({ backend: 'filesystem', id: 'inc', exclude: ['*Archive'] });
    expect(restore.classes).toEqual(['Article']);
  });

  test('malformed selections are refused with INVALID_ARGUMENT', async () => {
    harness = await createHarness('select-errors');
    await collections(harness, ['Article', 'Author']);
    const create = (request: object) => rejection(harness.engine.createBackup({ backend: 'filesystem', id: 'x', ...request }));
    const unknown = await create({ include: ['Nope'] });
    expect(unknown.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(unknown.message).toBe("class Nope doesn't exist");
    expect((await create({ include: ['Article'], exclude: ['Author'] })).message).toBe("malformed request: 'include' and 'exclude' cannot both contain values");
    expect((await create({ include: ['Article', 'Article'] })).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await create({ exclude: ['*'] })).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await create({ id: 'Bad-Id' })).message).toBe("invalid backup id: 'Bad-Id' allowed characters are lowercase, 0-9, _, -");
    expect((await create({ config: { cpuPercentage: 81 } })).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await create({ config: { chunkSizeMb: 1 } })).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await create({ config: { compressionLevel: 'Fastest' } })).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await rejection(harness.engine.createBackup({ backend: 's3', id: 'x' }))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    // None of these left anything behind.
    expect(await listFiles(harness.backupRoot)).toEqual([]);
  });
});

describe('existing and missing backups', { timeout: 120_000 }, () => {
  test('an id in use is refused; unknown ids are NOT_FOUND', async () => {
    harness = await createHarness('ids');
    await collections(harness, ['Article']);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'taken' });
    await harness.waitForBackup('taken');
    expect((await rejection(harness.engine.createBackup({ backend: 'filesystem', id: 'taken' }))).code).toBe(ErrorCode.ALREADY_EXISTS);
    expect((await rejection(harness.engine.backupStatus('filesystem', 'nope'))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(harness.engine.restoreStatus('filesystem', 'taken'))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(harness.engine.restore({ backend: 'filesystem', id: 'nope' }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(harness.engine.cancelBackup('filesystem', 'taken'))).message).toBe('backup "taken" already succeeded');
  });

  test('the Path override puts a backup elsewhere; status finds it only there', async () => {
    harness = await createHarness('override');
    await collections(harness, ['Article']);
    const other = join(harness.dir, 'elsewhere');
    const created = await harness.engine.createBackup({ backend: 'filesystem', id: 'moved', config: { path: other } });
    expect(created.path).toBe(join(other, 'moved'));
    await expect(harness.engine.backupStatus('filesystem', 'moved')).rejects.toThrow(BackupError);
    await waitFor('moved', async () => (await harness.engine.backupStatus('filesystem', 'moved', { path: other })).status === 'SUCCESS');
    expect(await listFiles(other)).toContain('moved/backup_config.json');
  });

  test('list reports every backup, newest first by default, and nothing else stored at the root', async () => {
    harness = await createHarness('list');
    await collections(harness, ['Article']);
    for (const id of ['a1', 'a2', 'a3']) {
      await harness.engine.createBackup({ backend: 'filesystem', id });
      await harness.waitForBackup(id);
    }
    // Someone else's objects next to ours: a folder without a descriptor, a name no backup id can have.
    await harness.provider.put('not-a-backup/notes.txt', 'x');
    await harness.provider.put('Upper/backup_config.json', '{}');
    await harness.provider.put('loose-object', 'x');
    expect((await harness.engine.listBackups('filesystem')).map((report) => report.id)).toEqual(['a3', 'a2', 'a1']);
    expect((await harness.engine.listBackups('filesystem', { order: 'asc' })).map((report) => report.id)).toEqual(['a1', 'a2', 'a3']);
  });
});

describe('restore checks fail before anything is downloaded', { timeout: 120_000 }, () => {
  async function backedUp(h: Harness): Promise<string> {
    await collections(h, ['Article', 'Author']);
    await h.engine.createBackup({ backend: 'filesystem', id: 'base' });
    await h.waitForBackup('base');
    return join(h.backupRoot, 'base', 'backup_config.json');
  }

  test('a collection that exists on the target', async () => {
    harness = await createHarness('exists', {}, (root) => new CountingFilesystemProvider({ path: root }));
    await backedUp(harness);
    await harness.source.dropCollection('Author');
    const error = await rejection(harness.engine.restore({ backend: 'filesystem', id: 'base' }));
    expect(error.code).toBe(ErrorCode.ALREADY_EXISTS);
    expect(error.message).toContain('Article');
    expect((harness.provider as CountingFilesystemProvider).reads).toBe(0);
    expect(await harness.source.collectionExists('Author')).toBe(false);
    expect((await rejection(harness.engine.restoreStatus('filesystem', 'base'))).code).toBe(ErrorCode.NOT_FOUND);
  });

  test('a backup that did not succeed, one from a newer format, a corrupt one, a class not in it', async () => {
    harness = await createHarness('checks', {}, (root) => new CountingFilesystemProvider({ path: root }));
    const descriptorPath = await backedUp(harness);
    await harness.source.dropCollection('Article');
    await harness.source.dropCollection('Author');
    const original = await readFile(descriptorPath, 'utf8');
    const restore = () => rejection(harness.engine.restore({ backend: 'filesystem', id: 'base' }));

    await writeFile(descriptorPath, original.replace('"status": "SUCCESS"', '"status": "FAILED"'));
    expect((await restore()).code).toBe(ErrorCode.CONFLICT);
    await writeFile(descriptorPath, original.replace(`"version": "${FORMAT_VERSION}"`, '"version": "3.0"'));
    expect((await restore()).code).toBe(ErrorCode.NOT_SUPPORTED);
    await writeFile(descriptorPath, '{"version": "2.0", "id": ');
    expect((await restore()).code).toBe(ErrorCode.CORRUPT);
    await writeFile(descriptorPath, original);
    const notInBackup = await rejection(harness.engine.restore({ backend: 'filesystem', id: 'base', include: ['Book'] }));
    expect(notInBackup.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((harness.provider as CountingFilesystemProvider).reads).toBe(0);
    // A newer MINOR version is fine.
    await writeFile(descriptorPath, original.replace(`"version": "${FORMAT_VERSION}"`, '"version": "2.9"'));
    await harness.engine.restore({ backend: 'filesystem', id: 'base' });
    expect(await harness.waitForRestore('base')).toBe('SUCCESS');
  });

  test('a chunk with one flipped byte fails the restore naming it, and leaves no collection or staged file', async () => {
    harness = await createHarness('flip');
    await harness.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile('Article', 's0/big.seg', sampleBytes(6 * 1024 * 1024));
    await harness.engine.createBackup({ backend: 'filesystem', id: 'flip', config: { chunkSizeMb: 2 } });
    await harness.waitForBackup('flip');
    await harness.source.dropCollection('Article');
    const chunk = join(harness.backupRoot, 'flip', 'node1', 'Article', 'chunk-1');
    const bytes = await readFile(chunk);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await writeFile(chunk, bytes);
    await harness.engine.restore({ backend: 'filesystem', id: 'flip' });
    expect(await harness.waitForRestore('flip')).toBe('FAILED');
    const status = await harness.engine.restoreStatus('filesystem', 'flip');
    expect(status.error).toContain('flip/node1/Article/chunk-1');
    expect(await harness.source.collectionExists('Article')).toBe(false);
    expect(await listFiles(join(harness.source.root, '.staging'))).toEqual([]);
  });
});

describe('cancel', { timeout: 120_000 }, () => {
  async function bigCollection(h: Harness, megabytes: number): Promise<void> {
    await h.source.createCollection({ name: 'Big', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    for (let index = 0; index < megabytes / 8; index++) {
      await h.source.writeFile('Big', `s0/${index}.seg`, sampleBytes(8 * 1024 * 1024, 0));
    }
  }

  test('mid-backup: ends CANCELED, no chunk left, snapshots released; the id can be used again', async () => {
    harness = await createHarness('cancel-backup');
    await bigCollection(harness, 64);
    await harness.engine.createBackup({
      backend: 'filesystem',
      id: 'c1',
      config: { chunkSizeMb: 2, compressionLevel: 'BestCompression', cpuPercentage: 1 },
    });
    await waitFor('a chunk', async () => (await listFiles(join(harness.backupRoot, 'c1'))).some((path) => path.includes('chunk-')));
    await harness.engine.cancelBackup('filesystem', 'c1');
    const status = await harness.engine.backupStatus('filesystem', 'c1');
    expect(status.status).toBe('CANCELED');
    expect(await listFiles(join(harness.backupRoot, 'c1'))).toEqual(['backup_config.json']);
    expect(harness.source.heldSnapshots.size).toBe(0);
    await harness.engine.cancelBackup('filesystem', 'c1'); // CANCELED: a no-op
    await harness.engine.createBackup({ backend: 'filesystem', id: 'c1', config: { compressionLevel: 'BestSpeed' } });
    expect(await harness.waitForBackup('c1')).toBe('SUCCESS');
  });

  test('mid-restore: ends CANCELED, staged files removed, no collection created', async () => {
    harness = await createHarness('cancel-restore');
    await bigCollection(harness, 96);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'r1', config: { chunkSizeMb: 2, compressionLevel: 'NoCompression' } });
    await harness.waitForBackup('r1');
    await harness.source.dropCollection('Big');
    await harness.engine.restore({ backend: 'filesystem', id: 'r1', config: { cpuPercentage: 1 } });
    await waitFor('staged bytes', async () => (await listFiles(join(harness.source.root, '.staging'))).length > 0, 30_000, 1);
    await harness.engine.cancelRestore('filesystem', 'r1');
    expect((await harness.engine.restoreStatus('filesystem', 'r1')).status).toBe('CANCELED');
    expect(await listFiles(join(harness.source.root, '.staging'))).toEqual([]);
    expect(await harness.source.collectionExists('Big')).toBe(false);
  });

  test('close() during a backup ends it FAILED with a reason and removes its chunks', async () => {
    harness = await createHarness('close');
    await bigCollection(harness, 32);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'z', config: { chunkSizeMb: 2, compressionLevel: 'BestCompression' } });
    await waitFor('a chunk', async () => (await listFiles(join(harness.backupRoot, 'z'))).some((path) => path.includes('chunk-')));
    await harness.engine.close();
    const descriptor = JSON.parse(await readFile(join(harness.backupRoot, 'z', 'backup_config.json'), 'utf8'));
    expect(descriptor.status).toBe('FAILED');
    expect(descriptor.error).toContain('shut down');
    expect(await listFiles(join(harness.backupRoot, 'z'))).toEqual(['backup_config.json']);
  });
});

describe('recovery after a crash', { timeout: 120_000 }, () => {
  async function crashDuring(h: Harness, mode: 'backup' | 'restore', id: string, ready: () => Promise<boolean>): Promise<void> {
    await h.engine.close();
    const worker = spawn(process.execPath, ['--conditions=@backup/source', join(import.meta.dirname, 'fixtures', 'crash-worker.ts'), h.dir, mode, id], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await waitFor(`${mode} to be under way`, ready, 60_000);
    worker.kill('SIGKILL');
    await exited;
  }

  test('a backup killed mid-way is FAILED with a reason after restart, and its chunks are gone', async () => {
    harness = await createHarness('crash-backup');
    await harness.source.createCollection({ name: 'Big', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile('Big', 's0/a.seg', sampleBytes(48 * 1024 * 1024, 0));
    await crashDuring(harness, 'backup', 'k1', async () => (await listFiles(join(harness.backupRoot, 'k1'))).some((path) => path.includes('chunk-')));
    expect(JSON.parse(await readFile(join(harness.backupRoot, 'k1', 'backup_config.json'), 'utf8')).status).not.toBe('FAILED');

    const report = await (await harness.restart()).backupStatus('filesystem', 'k1');
    expect(report.status).toBe('FAILED');
    expect(report.error).toMatch(/interrupted/);
    expect(await listFiles(join(harness.backupRoot, 'k1'))).toEqual(['backup_config.json']);
    expect(await listFiles(join(harness.stateDir, 'journal'))).toEqual([]);
  });

  test('a restore killed mid-way is FAILED after restart, with its staged files removed', async () => {
    harness = await createHarness('crash-restore');
    await harness.source.createCollection({ name: 'Big', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    for (let index = 0; index < 12; index++) await harness.source.writeFile('Big', `s0/${index}.seg`, sampleBytes(8 * 1024 * 1024, 0));
    await harness.engine.createBackup({ backend: 'filesystem', id: 'k2', config: { chunkSizeMb: 2, compressionLevel: 'BestCompression' } });
    await harness.waitForBackup('k2');
    await harness.source.dropCollection('Big');
    await crashDuring(harness, 'restore', 'k2', async () => (await listFiles(join(harness.source.root, '.staging'))).length > 0);

    const report = await (await harness.restart()).restoreStatus('filesystem', 'k2');
    expect(report.status).toBe('FAILED');
    expect(report.error).toMatch(/interrupted/);
    expect(await listFiles(join(harness.source.root, '.staging'))).toEqual([]);
    expect(await harness.source.collectionExists('Big')).toBe(false);
    // The backup itself is untouched and restores fine.
    await harness.engine.restore({ backend: 'filesystem', id: 'k2' });
    expect(await harness.waitForRestore('k2')).toBe('SUCCESS');
  });
});

describe('multi-tenant collections', { timeout: 120_000 }, () => {
  test('HOT and COLD tenants are backed up, FROZEN ones skipped and reported; statuses come back', async () => {
    harness = await createHarness('tenants');
    const spec = {
      name: 'Tenants',
      multiTenant: true,
      shards: [
        { name: 'hot', status: 'HOT' as const },
        { name: 'cold', status: 'COLD' as const },
        { name: 'frozen', status: 'FROZEN' as const },
      ],
    };
    await harness.source.createCollection(spec);
    await harness.source.writeFile('Tenants', 'hot/a.seg', 'hot data');
    await harness.source.writeFile('Tenants', 'cold/a.seg', 'cold data');
    await harness.engine.createBackup({ backend: 'filesystem', id: 'mt' });
    await harness.waitForBackup('mt');
    const status = await harness.engine.backupStatus('filesystem', 'mt');
    expect(status.skipped).toEqual([{ collection: 'Tenants', shard: 'frozen', reason: expect.stringContaining('FROZEN') }]);
    await harness.source.dropCollection('Tenants');
    await harness.engine.restore({ backend: 'filesystem', id: 'mt' });
    expect(await harness.waitForRestore('mt')).toBe('SUCCESS');
    expect(await harness.source.readSpec('Tenants')).toEqual(spec);
    expect(await listFiles(harness.source.collectionDir('Tenants'))).toEqual(['cold/a.seg', 'collection.json', 'hot/a.seg']);
  });
});
