import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { errorMessage, scratch, startTestServer, type TestServer } from './helpers.ts';
import { createClass, fill, filesBelow, pollStatus } from './backup-support.ts';
import { startServer } from '../src/index.ts';

// BACKUP_FILESYSTEM_ALLOWED_ROOTS widens where a Path override may point; even when an operator
// allows everything (/), a path under /proc answers at once and never holds the backup slot.
let server: TestServer;
let extra: string;
beforeAll(async () => {
  extra = scratch('allowed-root');
  server = await startTestServer({ BACKUP_FILESYSTEM_ALLOWED_ROOTS: `${extra}:/` });
  await createClass(server.url, 'Article');
  await fill(server.url, 'Article', 3, 100);
});
afterAll(async () => {
  await server?.stop();
  rmSync(extra, { recursive: true, force: true });
});

test('a Path below an allowed root outside BACKUP_FILESYSTEM_PATH works', async () => {
  const target = join(extra, 'nightly');
  const answer = await server.call('POST', '/backups/filesystem', { id: 'elsewhere', config: { Path: target } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect((await pollStatus(server.url, `/backups/filesystem/elsewhere?path=${target}`)).status).toBe('SUCCESS');
  expect(await filesBelow(target)).toContain('elsewhere/backup_config.json');
});

test('with / allowed, paths under /proc and /sys fail at once, and the slot is free afterwards', async () => {
  for (const path of ['/proc/x/y/z', '/proc/self/x', '/sys/x', '/dev/null/x', '/etc/passwd/x']) {
    const started = performance.now();
    const answer = await server.call('POST', '/backups/filesystem', { id: 'proc', config: { Path: path } });
    expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(422);
    expect(errorMessage(answer).length).toBeGreaterThan(0);
    expect(performance.now() - started, path).toBeLessThan(11_000);
  }
  const answer = await server.call('POST', '/backups/filesystem', { id: 'after-proc' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect((await pollStatus(server.url, '/backups/filesystem/after-proc')).status).toBe('SUCCESS');
});

test('a relative entry in BACKUP_FILESYSTEM_ALLOWED_ROOTS stops start-up with CONFIG naming it', async () => {
  const root = scratch('allowed-bad');
  mkdirSync(join(root, 'b'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const failure = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataPath: join(root, 'data'),
    env: { ENABLE_MODULES: 'backup-filesystem', BACKUP_FILESYSTEM_PATH: join(root, 'b'), BACKUP_FILESYSTEM_ALLOWED_ROOTS: '/ok:relative' },
  }).catch((error: unknown) => error);
  expect(BackupError.is(failure, ErrorCode.CONFIG)).toBe(true);
  expect((failure as Error).message).toMatch(/BACKUP_FILESYSTEM_ALLOWED_ROOTS/);
});
