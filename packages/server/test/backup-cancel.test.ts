import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';
import { classNames, createClass, filesBelow, fill, pollStatus, readAll, waitUntil } from './backup-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const SLOW = { ChunkSize: 2, CPUPercentage: 1, CompressionLevel: 'BestCompression' };

describe('cancel', { timeout: 300_000 }, () => {
  test('mid-backup: CANCELED, no partial objects, no snapshot left; a new backup with the same id works', async () => {
    server = await startTestServer();
    const { url, call } = server;
    await createClass(url, 'Big');
    const objects = await fill(url, 'Big', 48, 1024 * 1024);
    expect((await call('POST', '/backups/filesystem', { id: 'stop-me', config: SLOW })).status).toBe(200);
    const home = join(server.root, 'backups', 'stop-me');
    await waitUntil('a chunk to be stored', async () => (await filesBelow(home)).some((path) => /chunk-\d+$/.test(path)));

    const cancel = await call('DELETE', '/backups/filesystem/stop-me');
    expect(cancel.status).toBe(204);
    const status = await pollStatus(url, '/backups/filesystem/stop-me');
    expect(status.status).toBe('CANCELED');
    expect(await filesBelow(home)).toEqual(['backup_config.json']);
    expect(await filesBelow(join(server.dataPath, 'snapshots'))).toEqual([]);

    expect((await call('POST', '/backups/filesystem', { id: 'stop-me', config: { ChunkSize: 8 } })).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/stop-me')).status).toBe('SUCCESS');
    expect((await call('DELETE', '/schema/Big')).status).toBe(200);
    expect((await call('POST', '/backups/filesystem/stop-me/restore', {})).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/stop-me/restore')).status).toBe('SUCCESS');
    expect((await readAll(url, 'Big')).size).toBe(objects.size);
  });

  test('mid-restore: CANCELED, no staged files, no half-created collection; the restore can run again', async () => {
    server = await startTestServer();
    const { url, call } = server;
    await createClass(url, 'Big');
    const objects = await fill(url, 'Big', 96, 1024 * 1024);
    expect((await call('POST', '/backups/filesystem', { id: 'r', config: { ChunkSize: 2, CompressionLevel: 'NoCompression' } })).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/r')).status).toBe('SUCCESS');
    expect((await call('DELETE', '/schema/Big')).status).toBe(200);

    expect((await call('POST', '/backups/filesystem/r/restore', { config: { CPUPercentage: 1 } })).status).toBe(200);
    const staging = join(server.dataPath, 'restoring');
    await waitUntil('files to be staged', async () => (await filesBelow(staging)).length > 0, 60_000, 1);
    expect((await call('DELETE', '/backups/filesystem/r/restore')).status).toBe(204);
    const status = await pollStatus(url, '/backups/filesystem/r/restore');
    expect(status.status).toBe('CANCELED');
    expect(await filesBelow(staging)).toEqual([]);
    expect(await classNames(url)).toEqual([]);
    expect((await call('GET', '/objects?class=Big')).status).not.toBe(200);

    expect((await call('POST', '/backups/filesystem/r/restore', {})).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/r/restore')).status).toBe('SUCCESS');
    expect((await readAll(url, 'Big')).size).toBe(objects.size);
  });
});
