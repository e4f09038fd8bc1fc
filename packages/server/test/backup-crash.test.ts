import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { call, scratch } from './helpers.ts';
import { createClass, filesBelow, fill, pollStatus, readAll, spawnServer, waitUntil, type ChildServer } from './backup-support.ts';

const children: ChildServer[] = [];
const roots: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function node(): { root: string; env: NodeJS.ProcessEnv } {
  const root = scratch('crash');
  roots.push(root);
  return {
    root,
    env: {
      PERSISTENCE_DATA_PATH: join(root, 'data'),
      ENABLE_MODULES: 'backup-filesystem',
      BACKUP_FILESYSTEM_PATH: join(root, 'backups'),
    },
  };
}

describe('a server killed mid-operation', { timeout: 300_000 }, () => {
  test('SIGKILL mid-backup: after restart the backup is FAILED with a reason and the storage is clean', async () => {
    const { root, env } = node();
    const first = await spawnServer(env);
    children.push(first);
    await createClass(first.url, 'Big');
    const objects = await fill(first.url, 'Big', 48, 1024 * 1024);
    const created = await call(first.url, 'POST', '/backups/filesystem', {
      id: 'killed',
      config: { ChunkSize: 2, CPUPercentage: 1, CompressionLevel: 'BestCompression' },
    });
    expect(created.status).toBe(200);
    const home = join(root, 'backups', 'killed');
    await waitUntil('chunks to be uploading', async () => (await filesBelow(home)).some((path) => /chunk-\d+$/.test(path)));
    await first.kill();
    expect((await filesBelow(home)).length).toBeGreaterThan(1); // the crash did leave partial data behind

    const second = await spawnServer(env);
    children.push(second);
    const status = await call(second.url, 'GET', '/backups/filesystem/killed');
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('FAILED');
    expect(status.body.error).toMatch(/interrupted: node node1 stopped while the backup was running/);
    expect(await filesBelow(home)).toEqual(['backup_config.json']);
    expect(JSON.parse(await readFile(join(home, 'backup_config.json'), 'utf8')).status).toBe('FAILED');
    expect(await filesBelow(join(root, 'data', 'snapshots'))).toEqual([]);
    expect(await filesBelow(join(root, 'data', '.backup-state'))).toEqual([]);

    // The node is healthy: its data is intact and a new backup works.
    expect((await readAll(second.url, 'Big')).size).toBe(objects.size);
    expect((await call(second.url, 'POST', '/backups/filesystem', { id: 'after' })).status).toBe(200);
    expect((await pollStatus(second.url, '/backups/filesystem/after')).status).toBe('SUCCESS');
  });

  test('SIGKILL mid-restore: after restart the restore is FAILED, nothing staged, no half-created collection', async () => {
    const { root, env } = node();
    const first = await spawnServer(env);
    children.push(first);
    await createClass(first.url, 'Big');
    const objects = await fill(first.url, 'Big', 96, 1024 * 1024);
    expect((await call(first.url, 'POST', '/backups/filesystem', { id: 'base', config: { ChunkSize: 2 } })).status).toBe(200);
    expect((await pollStatus(first.url, '/backups/filesystem/base')).status).toBe('SUCCESS');
    expect((await call(first.url, 'DELETE', '/schema/Big')).status).toBe(200);
    expect((await call(first.url, 'POST', '/backups/filesystem/base/restore', { config: { CPUPercentage: 1 } })).status).toBe(200);
    await waitUntil('files to be staged', async () => (await filesBelow(join(root, 'data', 'restoring'))).length > 0, 60_000, 1);
    await first.kill();

    const second = await spawnServer(env);
    children.push(second);
    const status = await call(second.url, 'GET', '/backups/filesystem/base/restore');
    expect(status.body.status).toBe('FAILED');
    expect(status.body.error).toMatch(/interrupted/);
    expect(await filesBelow(join(root, 'data', 'restoring'))).toEqual([]);
    expect((await call(second.url, 'GET', '/schema')).body.classes).toEqual([]);
    expect(await filesBelow(join(root, 'backups', 'base'))).toContain('node1/backup.json'); // the backup itself is intact

    expect((await call(second.url, 'POST', '/backups/filesystem/base/restore', {})).status).toBe(200);
    expect((await pollStatus(second.url, '/backups/filesystem/base/restore')).status).toBe('SUCCESS');
    expect((await readAll(second.url, 'Big')).size).toBe(objects.size);
  });
});
