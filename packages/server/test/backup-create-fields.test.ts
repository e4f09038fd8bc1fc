import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

// Weaviate's `incremental_base_backup_id`: the Python v4 client sends it on every create, null
// unless asked. Null is a full backup (what this server makes); a base id is refused, never ignored.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.call('POST', '/schema', { class: 'Note', properties: [{ name: 'text', dataType: ['text'] }] });
});
afterAll(() => server?.stop());

test('a create with incremental_base_backup_id null runs a full backup', async () => {
  expect((await server.call('POST', '/backups/filesystem', { id: 'full', include: ['Note'], incremental_base_backup_id: null })).status).toBe(200);
  let status = '';
  for (let attempt = 0; attempt < 600 && status !== 'SUCCESS'; attempt++) {
    status = (await server.call('GET', '/backups/filesystem/full')).body.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(status).toBe('SUCCESS');
});

test('a create with an incremental base is refused with 422 naming the field, and no backup starts', async () => {
  const answer = await server.call('POST', '/backups/filesystem', { id: 'incremental', incremental_base_backup_id: 'full' });
  expect(answer.status).toBe(422);
  expect(errorMessage(answer)).toContain('incremental_base_backup_id');
  expect((await server.call('GET', '/backups/filesystem/incremental')).status).toBe(404);
});
