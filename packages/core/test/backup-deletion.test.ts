import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, createBackupApi, planRetention, verifyBackup, type BackupStatusReport } from '../src/index.ts';
import { BackupStatus, createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, treeDigest } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

const MB = 1024 * 1024;

async function seed(h: Harness): Promise<void> {
  await h.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
  for (let i = 1; i <= 3; i++) await h.source.writeFile('Article', `s0/00000${i}.seg`, sampleBytes(MB + i, 0.5));
  await h.source.writeFile('Article', 's0/meta.json', '{"v":0}');
}

async function backup(h: Harness, id: string, base?: string): Promise<string> {
  await h.engine.createBackup({ backend: 'filesystem', id, config: { chunkSizeMb: 2 }, ...(base ? { incrementalBaseBackupId: base } : {}) });
  return await h.waitForBackup(id);
}

async function restoreAndRead(h: Harness, id: string): Promise<Record<string, string>> {
  await h.source.dropCollection('Article');
  await h.engine.restore({ backend: 'filesystem', id });
  expect(await h.waitForRestore(id)).toBe(BackupStatus.SUCCESS);
  return await treeDigest(h.source.collectionDir('Article'));
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return await promise.then(
    () => undefined,
    (error: unknown) => (BackupError.is(error) ? error.code : String(error)),
  );
}

/** Every SUCCESS backup at the root verifies: every object it names is there with its recorded bytes. */
async function assertEveryBackupComplete(h: Harness): Promise<void> {
  for (const backup of await h.engine.listBackups('filesystem')) {
    if (backup.status !== BackupStatus.SUCCESS) continue;
    const report = await verifyBackup({ id: backup.id, provider: h.provider });
    expect(report.problems, `backup ${backup.id}`).toEqual([]);
  }
}

describe('deleting backups', { timeout: 120_000 }, () => {
  test('deleting the full backup of a chain keeps the incremental ones restorable; deleting them all leaves nothing', async () => {
    harness = await createHarness('delete-chain');
    const h = harness;
    await seed(h);
    expect(await backup(h, 'full')).toBe(BackupStatus.SUCCESS);
    await h.source.writeFile('Article', 's0/000004.seg', sampleBytes(10_000));
    await h.source.writeFile('Article', 's0/meta.json', '{"v":1}');
    expect(await backup(h, 'incr1', 'full')).toBe(BackupStatus.SUCCESS);
    const atIncr1 = await treeDigest(h.source.collectionDir('Article'));
    await h.source.writeFile('Article', 's0/000005.seg', sampleBytes(10_000, 0.9));
    expect(await backup(h, 'incr2', 'incr1')).toBe(BackupStatus.SUCCESS);
    const atIncr2 = await treeDigest(h.source.collectionDir('Article'));

    const report = await h.engine.deleteBackup('filesystem', 'full');
    expect(report.objectsKept).toBeGreaterThan(0);
    expect(await codeOf(h.engine.backupStatus('filesystem', 'full'))).toBe(ErrorCode.NOT_FOUND);
    expect((await h.engine.listBackups('filesystem')).map((backup) => backup.id).sort()).toEqual(['incr1', 'incr2']);
    // Its id stays taken while others reuse its objects, and it is no base any more.
    expect(await codeOf(h.engine.createBackup({ backend: 'filesystem', id: 'full' }))).toBe(ErrorCode.ALREADY_EXISTS);
    expect(await codeOf(h.engine.createBackup({ backend: 'filesystem', id: 'x', incrementalBaseBackupId: 'full' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    await assertEveryBackupComplete(h);
    expect(await restoreAndRead(h, 'incr2')).toEqual(atIncr2);

    await h.engine.deleteBackup('filesystem', 'incr1');
    await assertEveryBackupComplete(h);
    expect(await restoreAndRead(h, 'incr2')).toEqual(atIncr2);
    expect(atIncr1).not.toEqual(atIncr2);

    await h.engine.deleteBackup('filesystem', 'incr2');
    expect(await readdir(h.backupRoot)).toEqual([]);
    // Every id is free again.
    expect(await backup(h, 'full')).toBe(BackupStatus.SUCCESS);
  });

  test('a FAILED or CANCELED id can be used again after deletion; an unknown id is NOT_FOUND; a running one is CONFLICT', async () => {
    harness = await createHarness('delete-failed');
    const h = harness;
    await seed(h);
    await h.source.writeFile('Article', 's0/big.seg', sampleBytes(30 * MB, 0));
    await h.engine.createBackup({ backend: 'filesystem', id: 'gone', config: { compressionLevel: 'BestCompression' } });
    expect(await codeOf(h.engine.deleteBackup('filesystem', 'gone'))).toBe(ErrorCode.CONFLICT);
    await h.engine.cancelBackup('filesystem', 'gone');
    expect(await h.waitForBackup('gone')).toBe(BackupStatus.CANCELED);
    await h.engine.deleteBackup('filesystem', 'gone');
    expect(await codeOf(h.engine.backupStatus('filesystem', 'gone'))).toBe(ErrorCode.NOT_FOUND);
    expect(await codeOf(h.engine.deleteBackup('filesystem', 'gone'))).toBe(ErrorCode.NOT_FOUND);
    expect(await backup(h, 'gone')).toBe(BackupStatus.SUCCESS);
  });

  test('REST: plain DELETE of a finished backup still answers 422 (cancel), ?purge=true deletes it (204, then 404)', async () => {
    harness = await createHarness('delete-rest');
    const h = harness;
    await seed(h);
    const api = createBackupApi(h.engine);
    expect(await backup(h, 'b1')).toBe(BackupStatus.SUCCESS);
    const call = async (method: string, path: string, query = '') => (await api.handle({ method, path, query: new URLSearchParams(query), body: undefined }))!;
    expect((await call('DELETE', '/backups/filesystem/b1')).status).toBe(422);
    expect((await call('DELETE', '/backups/filesystem/b1', 'purge=maybe')).status).toBe(422);
    expect((await call('DELETE', '/backups/filesystem/b1', 'purge=true')).status).toBe(204);
    expect((await call('GET', '/backups/filesystem/b1')).status).toBe(404);
    expect((await call('DELETE', '/backups/filesystem/b1', 'purge=true')).status).toBe(404);
  });

  test('randomized concurrent creates and deletes (fixed seed, bounded trials) never lose an object a backup names', async () => {
    harness = await createHarness('delete-race');
    const h = harness;
    await seed(h);
    let state = 20261204;
    const next = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    expect(await backup(h, 'b0')).toBe(BackupStatus.SUCCESS);
    let counter = 1;
    for (let trial = 0; trial < 10; trial++) {
      await h.source.writeFile('Article', `s0/t${trial}.seg`, sampleBytes(20_000 + trial));
      const existing = (await h.engine.listBackups('filesystem')).filter((item: BackupStatusReport) => item.status === BackupStatus.SUCCESS);
      const base = existing[Math.floor(next() * existing.length)]?.id;
      const victim = existing[Math.floor(next() * existing.length)]?.id;
      const id = `b${counter++}`;
      const delay = Math.floor(next() * 30);
      const creating = (async () => {
        await h.engine.createBackup({ backend: 'filesystem', id, config: { chunkSizeMb: 2 }, ...(base ? { incrementalBaseBackupId: base } : {}) });
        return await h.waitForBackup(id);
      })().catch((error: unknown) => (BackupError.is(error) ? error.code : 'error'));
      const deleting = (async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (victim) await h.engine.deleteBackup('filesystem', victim);
      })().catch((error: unknown) => (BackupError.is(error) ? error.code : 'error'));
      const [created, deleted] = await Promise.all([creating, deleting]);
      // Either may lose the race, only with a clear refusal; nothing else may go wrong.
      expect([BackupStatus.SUCCESS, BackupStatus.FAILED, ErrorCode.INVALID_ARGUMENT]).toContain(created);
      expect([undefined, ErrorCode.CONFLICT, ErrorCode.NOT_FOUND]).toContain(deleted);
      await assertEveryBackupComplete(h);
    }
    const last = (await h.engine.listBackups('filesystem')).find((item) => item.status === BackupStatus.SUCCESS);
    expect(last).toBeDefined();
    await restoreAndRead(h, last!.id);
  });
});

describe('retention', () => {
  const at = (id: string, minutesAgo: number, status: string = BackupStatus.SUCCESS) =>
    ({ id, status, startedAt: new Date(Date.UTC(2026, 0, 1) - minutesAgo * 60_000) }) as unknown as BackupStatusReport;
  const now = Date.UTC(2026, 0, 1);
  const backups = [at('a', 50), at('b', 40), at('f', 35, BackupStatus.FAILED), at('c', 30), at('d', 20), at('r', 5, BackupStatus.TRANSFERRING)];

  test('keep last N successful, newer than D, or either; running backups are always kept', () => {
    expect(planRetention(backups, { keepLast: 2 }, now)).toEqual({ keep: ['r', 'd', 'c'], delete: ['f', 'b', 'a'] });
    expect(planRetention(backups, { newerThanMs: 36 * 60_000 }, now)).toEqual({ keep: ['r', 'd', 'c', 'f'], delete: ['b', 'a'] });
    expect(planRetention(backups, { keepLast: 3, newerThanMs: 25 * 60_000 }, now).delete).toEqual(['f', 'a']);
    expect(() => planRetention(backups, {}, now)).toThrow(/keep-last/);
    expect(() => planRetention(backups, { keepLast: -1 }, now)).toThrow();
  });

  test('pruneBackups: a dry run deletes nothing; the real run deletes what the plan says and keeps reused objects', async () => {
    harness = await createHarness('prune');
    const h = harness;
    await seed(h);
    expect(await backup(h, 'p1')).toBe(BackupStatus.SUCCESS);
    await h.source.writeFile('Article', 's0/x.seg', sampleBytes(1000));
    expect(await backup(h, 'p2', 'p1')).toBe(BackupStatus.SUCCESS);
    await h.source.writeFile('Article', 's0/y.seg', sampleBytes(1000));
    expect(await backup(h, 'p3', 'p2')).toBe(BackupStatus.SUCCESS);
    const dry = await h.engine.pruneBackups('filesystem', { keepLast: 1, dryRun: true });
    expect(dry).toMatchObject({ keep: ['p3'], delete: ['p2', 'p1'], deleted: [], failed: [] });
    expect((await h.engine.listBackups('filesystem')).length).toBe(3);
    const done = await h.engine.pruneBackups('filesystem', { keepLast: 1 });
    expect(done.deleted).toEqual(['p1', 'p2']);
    expect((await h.engine.listBackups('filesystem')).map((item) => item.id)).toEqual(['p3']);
    await assertEveryBackupComplete(h);
    const expected = await treeDigest(h.source.collectionDir('Article'));
    expect(await restoreAndRead(h, 'p3')).toEqual(expected);
  });
});
