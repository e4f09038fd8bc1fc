import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

// A smoke test of the /v1/backups mount; the engine's own end-to-end tests go deep.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

async function waitFor(path: string, done: (status: string) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await server.call('GET', path);
    expect(answer.status).toBe(200);
    if (done(answer.body.status)) return answer.body;
    if (Date.now() > deadline) throw new Error(`still ${answer.body.status}: ${JSON.stringify(answer.body)}`);
    await sleep(50);
  }
}

const final = (status: string) => ['SUCCESS', 'FAILED', 'CANCELED'].includes(status);

describe('the backup API through the server', () => {
  test('back up, delete, restore and read back a collection over HTTP', async () => {
    await server.call('POST', '/schema', { class: 'Smoke', properties: [{ name: 'n', dataType: ['int'] }] });
    const objects = Array.from({ length: 20 }, (_, n) => ({ class: 'Smoke', properties: { n } }));
    const batch = await server.call('POST', '/batch/objects', { objects });
    expect(batch.status).toBe(200);

    const created = await server.call('POST', '/backups/filesystem', { id: 'smoke-1', include: ['Smoke'] });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: 'smoke-1', backend: 'filesystem', classes: ['Smoke'], status: 'STARTED' });
    const status = await waitFor('/backups/filesystem/smoke-1', final);
    expect(status.status).toBe('SUCCESS');

    expect((await server.call('DELETE', '/schema/Smoke')).status).toBe(200);
    const restore = await server.call('POST', '/backups/filesystem/smoke-1/restore', {});
    expect(restore.status).toBe(200);
    expect((await waitFor('/backups/filesystem/smoke-1/restore', final)).status).toBe('SUCCESS');

    const list = await server.call('GET', '/objects?class=Smoke&limit=100');
    expect(list.body.objects.map((o: { properties: { n: number } }) => o.properties.n).sort((a: number, b: number) => a - b)).toEqual(
      objects.map((o) => o.properties.n),
    );
  });

  test('the engine answers its own errors in the API shape', async () => {
    const bad = await server.call('POST', '/backups/filesystem', { id: 'Bad ID' });
    expect(bad.status).toBe(422);
    expect(errorMessage(bad)).toMatch(/invalid backup id/);
    const unknown = await server.call('POST', '/backups/nowhere', { id: 'x' });
    expect(unknown.status).toBe(422);
    expect((await server.call('GET', '/backups/filesystem/never-made')).status).toBe(404);
    expect((await server.call('GET', '/backups/filesystem/a/b/c/d')).status).toBe(404);
  });
});
