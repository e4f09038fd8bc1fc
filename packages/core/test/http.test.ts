import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createBackupApi, type BackupApi, type BackupApiResponse } from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, waitFor } from './fixtures/scratch.ts';

let harness: Harness;
let api: BackupApi;

beforeEach(async () => {
  harness = await createHarness('http');
  api = createBackupApi(harness.engine);
  for (const name of ['Article', 'Author']) {
    await harness.source.createCollection({ name, multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile(name, 's0/data.seg', sampleBytes(10_000));
  }
});
afterEach(async () => {
  await harness.cleanup();
});

async function call(method: string, path: string, body?: unknown): Promise<BackupApiResponse> {
  const [pathname, search] = path.split('?') as [string, string?];
  const response = await api.handle({ method, path: pathname, query: new URLSearchParams(search ?? ''), body });
  if (!response) throw new Error(`${method} ${path} was not handled`);
  return response;
}

function message(response: BackupApiResponse): string {
  const body = response.body as { error: { message: string }[] };
  expect(body.error).toHaveLength(1);
  return body.error[0]?.message ?? '';
}

async function finished(id: string, restore = false): Promise<Record<string, unknown>> {
  return await waitFor(`${id} to finish`, async () => {
    const response = await call('GET', `/backups/filesystem/${id}${restore ? '/restore' : ''}`);
    const body = response.body as Record<string, unknown>;
    return ['SUCCESS', 'FAILED', 'CANCELED'].includes(body.status as string) ? body : undefined;
  });
}

describe('routing', { timeout: 120_000 }, () => {
  test('paths outside /backups are not ours', async () => {
    for (const path of ['/schema', '/backupsx', '/', '/backups/filesystem/id/other', '/backups/filesystem/a/restore/x']) {
      expect(await api.handle({ method: 'GET', path, query: new URLSearchParams(), body: undefined })).toBeUndefined();
    }
  });

  test('a method the path does not support is 405', async () => {
    expect((await call('PUT', '/backups/filesystem')).status).toBe(405);
    const patch = await call('PATCH', '/backups/filesystem/x/restore');
    expect(patch.status).toBe(405);
    expect(message(patch)).toBe('method PATCH is not allowed on /v1/backups/filesystem/x/restore (allowed: POST, GET, DELETE)');
    // As in Weaviate, HEAD is not GET here.
    expect((await call('HEAD', '/backups/filesystem/x')).status).toBe(405);
  });

  test('an empty segment is no route of ours', async () => {
    for (const path of ['/backups//x', '/backups/filesystem//restore', '/backups/filesystem//copy']) {
      expect(await api.handle({ method: 'GET', path, query: new URLSearchParams(), body: undefined }), path).toBeUndefined();
    }
  });
});

describe('create and status', { timeout: 120_000 }, () => {
  test('create answers 200 with the spec fields; status, list and restore follow', async () => {
    const created = await call('POST', '/backups/filesystem', { id: 'b1', include: ['Article'] });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: 'b1',
      backend: 'filesystem',
      classes: ['Article'],
      path: join(harness.backupRoot, 'b1'),
      bucket: '',
      status: 'STARTED',
      error: '',
    });
    const status = await finished('b1');
    expect(Object.keys(status).sort()).toEqual([
      'backend',
      'bytesReused',
      'bytesUploaded',
      'completedAt',
      'error',
      'id',
      'path',
      'progress',
      'size',
      'startedAt',
      'status',
    ]);
    expect(status.bytesReused).toBe(0);
    expect(status.bytesUploaded).toBeGreaterThan(0);
    expect(status).toMatchObject({ id: 'b1', backend: 'filesystem', status: 'SUCCESS', error: '' });
    expect(status.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(status.size).toBeCloseTo(10_000 / 1024 ** 3, 12);

    const list = await call('GET', '/backups/backup-filesystem?order=asc');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { id: 'b1', classes: ['Article'], status: 'SUCCESS', startedAt: status.startedAt, completedAt: status.completedAt, size: status.size },
    ]);

    await harness.source.dropCollection('Article');
    const restore = await call('POST', '/backups/filesystem/b1/restore', {});
    expect(restore.status).toBe(200);
    expect(restore.body).toEqual({ id: 'b1', backend: 'filesystem', classes: ['Article'], path: join(harness.backupRoot, 'b1'), status: 'STARTED', error: '' });
    const restored = await finished('b1', true);
    const { progress, ...seed } = restored as { progress: Record<string, unknown> };
    expect(seed).toEqual({ id: 'b1', backend: 'filesystem', path: join(harness.backupRoot, 'b1'), status: 'SUCCESS', error: '' });
    // An extra field the seed's clients ignore, with totals.
    expect(progress).toMatchObject({ bytesDone: progress.bytesTotal, filesDone: progress.filesTotal, chunksDone: progress.chunksTotal, etaSeconds: 0 });

    const cancelDone = await call('DELETE', '/backups/filesystem/b1');
    expect(cancelDone.status).toBe(422);
    expect(message(cancelDone)).toBe('backup "b1" already succeeded');
    expect((await call('DELETE', '/backups/filesystem/b1/restore')).status).toBe(422);
  });

  test('every 422 of create, with its message', async () => {
    const cases: [unknown, number, string | RegExp][] = [
      [{ id: 'UPPER' }, 422, "invalid backup id: 'UPPER' allowed characters are lowercase, 0-9, _, -"],
      [{}, 422, "invalid backup id: 'id' is required"],
      [{ id: 'x', include: ['Article'], exclude: ['Author'] }, 422, "malformed request: 'include' and 'exclude' cannot both contain values"],
      [{ id: 'x', include: ['Nope'] }, 422, "class Nope doesn't exist"],
      [{ id: 'x', include: ['Article', 'Article'] }, 422, /more than once/],
      [{ id: 'x', exclude: ['*'] }, 422, /nothing to back up/],
      [{ id: 'x', config: { CPUPercentage: 81 } }, 422, /CPUPercentage/],
      [{ id: 'x', config: { CPUPercentage: '50' } }, 422, /CPUPercentage/],
      [{ id: 'x', config: { ChunkSize: 513 } }, 422, /ChunkSize/],
      [{ id: 'x', config: { ChunkSize: 1 } }, 422, /ChunkSize/],
      [{ id: 'x', config: { CompressionLevel: 'Gzip' } }, 422, /CompressionLevel/],
      ['not an object', 422, /malformed request/],
    ];
    for (const [body, status, expected] of cases) {
      const response = await call('POST', '/backups/filesystem', body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      if (typeof expected === 'string') expect(message(response)).toBe(expected);
      else expect(message(response)).toMatch(expected);
    }
    const unknownBackend = await call('POST', '/backups/gcs', { id: 'x' });
    expect(unknownBackend.status).toBe(422);
    expect(message(unknownBackend)).toMatch(/^no backup backend "gcs".*did you enable the right module\?/);
    // Defaults: 0 means default, as in the reference.
    expect((await call('POST', '/backups/filesystem', { id: 'zero', config: { CPUPercentage: 0, ChunkSize: 0 } })).status).toBe(200);
    await finished('zero');
  });

  test('an id in use and a backup in progress are 422', async () => {
    await harness.source.writeFile('Author', 's0/big.seg', sampleBytes(24 * 1024 * 1024, 0));
    expect((await call('POST', '/backups/filesystem', { id: 'slow', config: { CompressionLevel: 'BestCompression', CPUPercentage: 1 } })).status).toBe(200);
    const busy = await call('POST', '/backups/filesystem', { id: 'other' });
    expect(busy.status).toBe(422);
    expect(message(busy)).toBe('backup slow already in progress');
    expect(await finished('slow')).toMatchObject({ status: 'SUCCESS' });
    const taken = await call('POST', '/backups/filesystem', { id: 'slow' });
    expect(taken.status, JSON.stringify(taken.body)).toBe(422);
    expect(message(taken)).toMatch(/already exists/);
  });

  test('unknown ids are 404 with an error body; bad order is 422; path override on status', async () => {
    const missing = await call('GET', '/backups/filesystem/nope');
    expect(missing.status).toBe(404);
    expect(message(missing)).toMatch(/nope/);
    expect((await call('DELETE', '/backups/filesystem/nope')).status).toBe(404);
    expect((await call('GET', '/backups/filesystem/nope/restore')).status).toBe(404);
    expect((await call('DELETE', '/backups/filesystem/nope/restore')).status).toBe(404);
    expect((await call('GET', '/backups/filesystem?order=sideways')).status).toBe(422);

    const other = join(harness.dir, 'other-root');
    await call('POST', '/backups/filesystem', { id: 'moved', config: { Path: other } });
    await waitFor(
      'moved',
      async () => ((await call('GET', `/backups/filesystem/moved?path=${encodeURIComponent(other)}`)).body as { status: string }).status === 'SUCCESS',
    );
    expect((await call('GET', '/backups/filesystem/moved')).status).toBe(404);
    expect(((await call('GET', `/backups/filesystem?path=${encodeURIComponent(other)}`)).body as unknown[]).length).toBe(1);
  });
});

describe('restore refusals', { timeout: 120_000 }, () => {
  test('404 for no backup, 422 for an existing collection or one not in the backup', async () => {
    expect((await call('POST', '/backups/filesystem/nope/restore', {})).status).toBe(404);
    await call('POST', '/backups/filesystem', { id: 'base' });
    await finished('base');
    const exists = await call('POST', '/backups/filesystem/base/restore', {});
    expect(exists.status).toBe(422);
    expect(message(exists)).toMatch(/Article.*already exists/);
    const notInBackup = await call('POST', '/backups/filesystem/base/restore', { include: ['Book'] });
    expect(notInBackup.status).toBe(422);
    expect(message(notInBackup)).toBe('class Book is not in backup base');
    const both = await call('POST', '/backups/filesystem/base/restore', { include: ['Article'], exclude: ['Author'] });
    expect(both.status).toBe(422);
    const unknownNode = await call('POST', '/backups/filesystem/base/restore', { node_mapping: { node1: 'node9' } });
    expect(unknownNode.status).toBe(422);
    expect(message(unknownNode)).toMatch(/node_mapping|node9|not in this cluster/);
  });
});

describe('incremental backups over REST', { timeout: 120_000 }, () => {
  test('incremental_base_backup_id makes an incremental backup; its status names the base and the bytes reused and uploaded', async () => {
    expect((await call('POST', '/backups/filesystem', { id: 'base' })).status).toBe(200);
    await finished('base');
    await harness.source.writeFile('Article', 's0/new.seg', sampleBytes(2_000));
    const created = await call('POST', '/backups/filesystem', { id: 'next', incremental_base_backup_id: 'base' });
    expect(created.status).toBe(200);
    const status = await finished('next');
    expect(status).toMatchObject({ status: 'SUCCESS', incremental_base_backup_id: 'base' });
    expect(status.bytesReused).toBeGreaterThan(0);
    expect(status.bytesUploaded).toBeGreaterThan(0);
    expect(status.bytesUploaded).toBeLessThan(status.bytesReused as number);
    // An empty id means a full backup, as in Weaviate.
    expect((await call('POST', '/backups/filesystem', { id: 'full2', incremental_base_backup_id: '' })).status).toBe(200);
    expect((await finished('full2')).incremental_base_backup_id).toBeUndefined();
  });

  test('a base that does not exist is 422 naming it, and nothing is created', async () => {
    const refused = await call('POST', '/backups/filesystem', { id: 'next', incremental_base_backup_id: 'nope' });
    expect(refused.status).toBe(422);
    expect(message(refused)).toContain('"nope"');
    expect((await call('GET', '/backups/filesystem/next')).status).toBe(404);
    const wrongType = await call('POST', '/backups/filesystem', { id: 'next', incremental_base_backup_id: 7 });
    expect(wrongType.status).toBe(422);
  });
});
