import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';
import { classNames, createClass, filesBelow, fill, pollStatus, readAll } from './backup-support.ts';

// Every 422 and 404 of the spec, asserted on code and message, through the real server.
let server: TestServer;
let call: TestServer['call'];
beforeAll(async () => {
  server = await startTestServer();
  call = server.call;
  for (const name of ['Article', 'Author']) {
    await createClass(server.url, name);
    await fill(server.url, name, 20, 100);
  }
  expect((await call('POST', '/backups/filesystem', { id: 'done' })).status).toBe(200);
  expect((await pollStatus(server.url, '/backups/filesystem/done')).status).toBe('SUCCESS');
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function expectError(method: string, path: string, body: unknown, status: number, message: string | RegExp): Promise<void> {
  const answer = await call(method, path, body);
  expect(answer.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`).toBe(status);
  if (typeof message === 'string') expect(errorMessage(answer)).toBe(message);
  else expect(errorMessage(answer)).toMatch(message);
}

describe('create refusals (422)', { timeout: 60_000 }, () => {
  test('malformed requests', async () => {
    const path = '/backups/filesystem';
    await expectError('POST', path, { id: 'Not-Lower' }, 422, "invalid backup id: 'Not-Lower' allowed characters are lowercase, 0-9, _, -");
    await expectError('POST', path, { id: 'a b' }, 422, "invalid backup id: 'a b' allowed characters are lowercase, 0-9, _, -");
    await expectError(
      'POST',
      path,
      { id: 'x', include: ['Article'], exclude: ['Author'] },
      422,
      "malformed request: 'include' and 'exclude' cannot both contain values",
    );
    await expectError('POST', path, { id: 'x', include: ['Article', 'Article'] }, 422, /'Article' appears more than once/);
    await expectError('POST', path, { id: 'x', include: ['Missing'] }, 422, "class Missing doesn't exist");
    await expectError('POST', path, { id: 'x', exclude: ['*'] }, 422, /nothing to back up/);
    await expectError('POST', path, { id: 'x', config: { CPUPercentage: 81 } }, 422, /CPUPercentage 81: must be between 1 and 80/);
    await expectError('POST', path, { id: 'x', config: { CPUPercentage: -1 } }, 422, /CPUPercentage/);
    await expectError('POST', path, { id: 'x', config: { ChunkSize: 1 } }, 422, /ChunkSize 1: must be between 2 and 512/);
    await expectError('POST', path, { id: 'x', config: { ChunkSize: 513 } }, 422, /ChunkSize 513/);
    await expectError('POST', path, { id: 'x', config: { CompressionLevel: 'Zip' } }, 422, /CompressionLevel "Zip"/);
    await expectError('POST', '/backups/s3', { id: 'x' }, 422, /^no backup backend "s3".*did you enable the right module\?/);
    await expectError('POST', path, { id: 'done' }, 422, /^backup "done" already exists at/);
    expect(await filesBelow(join(server.root, 'backups', 'x'))).toEqual([]);
  });

  test('a second backup while one runs; a CANCELED backup cannot be restored', async () => {
    await createClass(server.url, 'Heavy');
    await fill(server.url, 'Heavy', 40, 1024 * 1024);
    const slow = await call('POST', '/backups/filesystem', {
      id: 'slow',
      include: ['Heavy'],
      config: { ChunkSize: 2, CPUPercentage: 1, CompressionLevel: 'BestCompression' },
    });
    expect(slow.status).toBe(200);
    await expectError('POST', '/backups/filesystem', { id: 'second' }, 422, 'backup slow already in progress');
    expect((await call('DELETE', '/backups/filesystem/slow')).status).toBe(204);
    expect((await pollStatus(server.url, '/backups/filesystem/slow')).status).toBe('CANCELED');
    await expectError('POST', '/backups/filesystem/slow/restore', {}, 422, /status CANCELED/);
    expect((await call('DELETE', '/backups/filesystem/slow')).status).toBe(204); // CANCELED: no-op
    expect((await call('DELETE', '/schema/Heavy')).status).toBe(200);
  });
});

describe('unknown ids (404)', () => {
  test('status, cancel, restore, restore status and restore cancel', async () => {
    await expectError('GET', '/backups/filesystem/never', undefined, 404, /backup "never" does not exist/);
    await expectError('DELETE', '/backups/filesystem/never', undefined, 404, /never/);
    await expectError('POST', '/backups/filesystem/never/restore', {}, 404, /never/);
    await expectError('GET', '/backups/filesystem/never/restore', undefined, 404, /never/);
    await expectError('DELETE', '/backups/filesystem/never/restore', undefined, 404, /never/);
    await expectError('GET', '/backups/filesystem/done/restore', undefined, 404, /no restore of backup "done"/);
  });
});

describe('restore refusals (422), all before anything is downloaded', { timeout: 60_000 }, () => {
  test('a collection that exists on the target', async () => {
    const before = await readAll(server.url, 'Article');
    await expectError('POST', '/backups/filesystem/done/restore', {}, 422, /cannot restore class Article: it already exists/);
    await expectError('POST', '/backups/filesystem/done/restore', { include: ['Author'] }, 422, /Author: it already exists/);
    // Nothing started: no restore was recorded, nothing was staged, the collection is untouched.
    await expectError('GET', '/backups/filesystem/done/restore', undefined, 404, /no restore/);
    expect(await filesBelow(join(server.dataPath, 'restoring'))).toEqual([]);
    expect(await readAll(server.url, 'Article')).toEqual(before);
  });

  test('a class not in the backup; include with exclude; an unknown node', async () => {
    await expectError('POST', '/backups/filesystem/done/restore', { include: ['Book'] }, 422, 'class Book is not in backup done');
    await expectError(
      'POST',
      '/backups/filesystem/done/restore',
      { include: ['Article'], exclude: ['Author'] },
      422,
      "malformed request: 'include' and 'exclude' cannot both contain values",
    );
    await expectError('POST', '/backups/filesystem/done/restore', { node_mapping: { node1: 'elsewhere' } }, 422, /node_mapping.*node1/);
  });

  test('a newer major format version, and a corrupt descriptor', async () => {
    const descriptor = join(server.root, 'backups', 'done', 'backup_config.json');
    const original = await readFile(descriptor, 'utf8');
    try {
      await writeFile(descriptor, original.replace(/"version": "2\.\d+"/, '"version": "3.0"'));
      await expectError('POST', '/backups/filesystem/done/restore', {}, 422, /format version 3\.0, newer than this node supports/);
      await writeFile(descriptor, original.slice(0, 40));
      await expectError('POST', '/backups/filesystem/done/restore', {}, 422, /not valid JSON/);
      await expectError('GET', '/backups/filesystem/done', undefined, 422, /not valid JSON/);
    } finally {
      await writeFile(descriptor, original);
    }
  });

  test('a backup that did not succeed', async () => {
    const descriptor = join(server.root, 'backups', 'done', 'backup_config.json');
    const original = await readFile(descriptor, 'utf8');
    try {
      await writeFile(descriptor, original.replace('"status": "SUCCESS"', '"status": "FAILED"'));
      await expectError('POST', '/backups/filesystem/done/restore', {}, 422, /status FAILED: only a backup with status SUCCESS can be restored/);
    } finally {
      await writeFile(descriptor, original);
    }
  });
});

describe('cancel refusals (422) and list', { timeout: 60_000 }, () => {
  test('cancelling a SUCCESS backup or restore; a bad order', async () => {
    await expectError('DELETE', '/backups/filesystem/done', undefined, 422, 'backup "done" already succeeded');
    expect((await call('DELETE', '/schema/Author')).status).toBe(200);
    expect((await call('POST', '/backups/filesystem/done/restore', { include: ['Author'] })).status).toBe(200);
    expect((await pollStatus(server.url, '/backups/filesystem/done/restore')).status).toBe('SUCCESS');
    await expectError('DELETE', '/backups/filesystem/done/restore', undefined, 422, /already succeeded/);
    expect(await classNames(server.url)).toEqual(['Article', 'Author']);
    await expectError('GET', '/backups/filesystem?order=random', undefined, 422, /invalid order/);
    const asc = await call('GET', '/backups/backup-filesystem?order=asc');
    expect(asc.status).toBe(200);
    expect(asc.body[0].id).toBe('done');
  });
});
