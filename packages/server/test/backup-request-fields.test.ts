import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

// Weaviate's restore fields this server cannot honour are refused (422), never accepted and ignored;
// the values that mean what this server does anyway are accepted.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.call('POST', '/schema', { class: 'Note', properties: [{ name: 'text', dataType: ['text'] }] });
  expect((await server.call('POST', '/backups/filesystem', { id: 'fields' })).status).toBe(200);
  for (let attempt = 0; attempt < 600; attempt++) {
    if ((await server.call('GET', '/backups/filesystem/fields')).body.status === 'SUCCESS') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
afterAll(() => server?.stop());

test.each([
  ['overwriteAlias: true', { overwriteAlias: true }],
  ['config.rolesOptions: all', { config: { rolesOptions: 'all' } }],
  ['config.usersOptions: all', { config: { usersOptions: 'all' } }],
  ['config.Endpoint on the filesystem', { config: { Endpoint: '127.0.0.1:9000' } }],
])('a restore with %s is refused with 422 and restores nothing', async (_name, body) => {
  await server.call('DELETE', '/schema/Note');
  expect((await server.call('POST', '/backups/filesystem/fields/restore', body)).status).toBe(422);
  expect((await server.call('GET', '/schema/Note')).status).toBe(404);
});

test('a restore with the values clients send by default (overwriteAlias false, noRestore) runs', async () => {
  await server.call('DELETE', '/schema/Note');
  const body = { overwriteAlias: false, config: { rolesOptions: 'noRestore', usersOptions: 'noRestore' } };
  expect((await server.call('POST', '/backups/filesystem/fields/restore', body)).status).toBe(200);
  for (let attempt = 0; attempt < 600; attempt++) {
    if ((await server.call('GET', '/backups/filesystem/fields/restore')).body.status === 'SUCCESS') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect((await server.call('GET', '/schema/Note')).status).toBe(200);
});
