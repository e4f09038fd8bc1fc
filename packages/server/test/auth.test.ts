import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';
import { startServer } from '../src/index.ts';
import { BackupError, ErrorCode } from '@backup/core';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    AUTHENTICATION_APIKEY_ENABLED: 'true',
    AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'first-key, second-key',
  });
});
afterAll(async () => {
  await server?.stop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API-key authentication', () => {
  test('without a key every endpoint but .well-known is a 401', async () => {
    for (const [method, path] of [
      ['GET', '/meta'],
      ['GET', '/schema'],
      ['GET', '/nodes'],
      ['GET', '/objects'],
      ['POST', '/batch/objects'],
      ['GET', '/backups/filesystem'],
      ['GET', '/no-such-route'],
    ] as const) {
      const answer = await server.call(method, path, method === 'POST' ? { objects: [] } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(errorMessage(answer).length).toBeGreaterThan(0);
    }
    expect((await server.call('GET', '/.well-known/live')).status).toBe(200);
    expect((await server.call('GET', '/.well-known/ready')).status).toBe(200);
  });

  test('a wrong key or scheme is a 401', async () => {
    expect((await server.call('GET', '/schema', undefined, bearer('nope'))).status).toBe(401);
    expect((await server.call('GET', '/schema', undefined, bearer('first-key-but-longer'))).status).toBe(401);
    expect((await server.call('GET', '/schema', undefined, { authorization: 'Basic Zmlyc3Qta2V5' })).status).toBe(401);
  });

  test('every configured key is accepted', async () => {
    expect((await server.call('GET', '/schema', undefined, bearer('first-key'))).status).toBe(200);
    expect((await server.call('GET', '/meta', undefined, bearer('second-key'))).status).toBe(200);
    const created = await server.call('POST', '/schema', { class: 'Secret' }, bearer('second-key'));
    expect(created.status).toBe(200);
  });

  test('anonymous access is the default without keys', async () => {
    const open = await startTestServer();
    try {
      expect((await open.call('GET', '/schema')).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  test('enabling API keys without any key stops start-up with CONFIG', async () => {
    const failure = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataPath: '/dev/shm/never-created-auth-test',
      env: { AUTHENTICATION_APIKEY_ENABLED: 'true' },
    }).catch((error: unknown) => error);
    expect(BackupError.is(failure, ErrorCode.CONFIG)).toBe(true);
    expect((failure as Error).message).toMatch(/AUTHENTICATION_APIKEY_ALLOWED_KEYS/);
  });

  // Weaviate refuses to start then ("no authentication scheme configured, you must select at least one"):
  // the node must never stay open when the operator asked for it to be closed.
  test('anonymous access off without any API key stops start-up with CONFIG naming the variable, before anything opens', async () => {
    const dataPath = '/dev/shm/never-created-anonymous-off-test';
    for (const env of [
      { AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false' },
      { AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false', AUTHENTICATION_APIKEY_ENABLED: 'false' },
      { AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false', AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'ignored-while-keys-are-off' },
    ]) {
      const failure = await startServer({
        port: 0,
        host: '127.0.0.1',
        dataPath,
        env: { ENABLE_MODULES: 'backup-filesystem', BACKUP_FILESYSTEM_PATH: '/dev/shm/never-created-backups', ...env },
      }).catch((error: unknown) => error);
      expect(BackupError.is(failure, ErrorCode.CONFIG), JSON.stringify(env)).toBe(true);
      expect((failure as Error).message).toMatch(/AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED/);
      expect(existsSync(dataPath)).toBe(false);
    }
  });

  test('anonymous access off with keys configured: requests without a key are refused, keys work', async () => {
    const closed = await startTestServer({
      AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false',
      AUTHENTICATION_APIKEY_ENABLED: 'true',
      AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'only-key',
    });
    try {
      expect((await closed.call('GET', '/schema')).status).toBe(401);
      expect((await closed.call('GET', '/schema', undefined, bearer('only-key'))).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});
