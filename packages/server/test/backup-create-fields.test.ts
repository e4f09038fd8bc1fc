import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

// Weaviate's `incremental_base_backup_id`: the Python v4 client sends it on every create, null
// unless asked. Null is a full backup; a base id makes an incremental one, and a base that is
// not a finished backup is refused before anything starts.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.call('POST', '/schema', { class: 'Note', properties: [{ name: 'text', dataType: ['text'] }] });
});
afterAll(() => server?.stop());

async function finalStatus(route: string): Promise<{ status: string; incremental_base_backup_id?: string }> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const body = (await server.call('GET', route)).body;
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${route} did not finish`);
}

test('a create with incremental_base_backup_id null runs a full backup', async () => {
  expect((await server.call('POST', '/backups/filesystem', { id: 'full', include: ['Note'], incremental_base_backup_id: null })).status).toBe(200);
  const status = await finalStatus('/backups/filesystem/full');
  expect(status.status).toBe('SUCCESS');
  expect(status.incremental_base_backup_id ?? '').toBe('');
});

test('a create on a finished base makes an incremental backup that names its base', async () => {
  expect((await server.call('POST', '/backups/filesystem', { id: 'incremental', include: ['Note'], incremental_base_backup_id: 'full' })).status).toBe(200);
  const status = await finalStatus('/backups/filesystem/incremental');
  expect(status.status).toBe('SUCCESS');
  expect(status.incremental_base_backup_id).toBe('full');
});

test('a create on a base that does not exist is refused with 422 naming the field, and no backup starts', async () => {
  const answer = await server.call('POST', '/backups/filesystem', { id: 'orphan', incremental_base_backup_id: 'no-such-backup' });
  expect(answer.status).toBe(422);
  expect(errorMessage(answer)).toContain('no-such-backup');
  expect((await server.call('GET', '/backups/filesystem/orphan')).status).toBe(404);
});
