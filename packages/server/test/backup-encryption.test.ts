import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { startServer } from '../src/index.ts';
import { call, errorMessage, scratch, startTestServer, type TestServer } from './helpers.ts';

const servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.stop();
});

async function finished(server: TestServer | { url: string }, path: string): Promise<Record<string, unknown>> {
  for (;;) {
    const answer = await call(server.url, 'GET', path);
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(answer.body?.status)) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('BACKUP_ENCRYPTION_KEY encrypts backups; a server without it refuses the restore with 422 before touching anything', { timeout: 60_000 }, async () => {
  const key = randomBytes(32).toString('base64');
  const server = await startTestServer({ BACKUP_ENCRYPTION_KEY: key });
  servers.push(server);
  expect((await server.call('POST', '/schema', { class: 'Secret', properties: [{ name: 'text', dataType: ['text'] }] })).status).toBe(200);
  expect((await server.call('POST', '/objects', { class: 'Secret', properties: { text: 'classified' } })).status).toBe(200);
  expect((await server.call('POST', '/backups/filesystem', { id: 'sealed' })).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/sealed')).toMatchObject({ status: 'SUCCESS' });
  const descriptor = JSON.parse(readFileSync(join(server.root, 'backups', 'sealed', 'node1', 'backup.json'), 'utf8'));
  expect(descriptor.encryption.algorithm).toBe('AES-256-GCM');

  const root = scratch('keyless');
  const keyless = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataPath: join(root, 'data'),
    env: { ENABLE_MODULES: 'backup-filesystem', BACKUP_FILESYSTEM_PATH: join(server.root, 'backups') },
    log: () => undefined,
    logDestination: () => undefined,
  });
  servers.push({
    stop: async () => {
      await keyless.close();
      rmSync(root, { recursive: true, force: true });
    },
  });
  const refused = await call(keyless.url, 'POST', '/backups/filesystem/sealed/restore', {});
  expect(refused.status).toBe(422);
  expect(errorMessage(refused)).toMatch(/encrypted/);
  expect((await call(keyless.url, 'GET', '/schema/Secret')).status).toBe(404);

  expect((await server.call('DELETE', '/schema/Secret')).status).toBe(200);
  expect((await server.call('POST', '/backups/filesystem/sealed/restore', {})).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/sealed/restore')).toMatchObject({ status: 'SUCCESS' });
  const objects = await server.call('GET', '/objects?class=Secret');
  expect(objects.body.objects.map((object: { properties: { text: string } }) => object.properties.text)).toEqual(['classified']);
});

test('a malformed BACKUP_ENCRYPTION_KEY stops the start naming it', async () => {
  await expect(startTestServer({ BACKUP_ENCRYPTION_KEY: 'not-a-key' })).rejects.toThrow(/BACKUP_ENCRYPTION_KEY/);
});
