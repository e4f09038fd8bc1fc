import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

// Weaviate's answers where clients depend on them: a missing class or object is a 404 with an
// EMPTY body (the Java client's `schema().exists()` reads any body as an error).
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.call('POST', '/schema', { class: 'Article', properties: [{ name: 'title', dataType: ['text'] }] });
});
afterAll(() => server?.stop());

const MISSING_ID = '00000000-0000-4000-8000-000000000001';

test('a missing class is 404 with an empty body on every read of it', async () => {
  for (const path of ['/schema/Missing', `/objects/Missing/${MISSING_ID}`]) {
    const response = await fetch(`${server.url}/v1${path}`);
    expect(response.status, path).toBe(404);
    expect(await response.text(), path).toBe('');
  }
});

test('a missing object is 404 with an empty body for GET, HEAD, DELETE, PUT and PATCH', async () => {
  for (const method of ['GET', 'HEAD', 'DELETE', 'PUT', 'PATCH']) {
    const response = await fetch(`${server.url}/v1/objects/Article/${MISSING_ID}`, {
      method,
      ...(method === 'PUT' || method === 'PATCH' ? { headers: { 'content-type': 'application/json' }, body: '{"properties":{"title":"x"}}' } : {}),
    });
    expect(response.status, method).toBe(404);
    expect(await response.text(), method).toBe('');
  }
});

test('an existing object answers HEAD 204, and a batch naming a missing class fails that entry only', async () => {
  const created = await server.call('POST', '/objects', { class: 'Article', properties: { title: 'x' } });
  expect((await fetch(`${server.url}/v1/objects/Article/${created.body.id}`, { method: 'HEAD' })).status).toBe(204);
  const batch = await server.call('POST', '/batch/objects', {
    objects: [
      { class: 'Missing', properties: {} },
      { class: 'Article', properties: { title: 'y' } },
    ],
  });
  expect(batch.status).toBe(200);
  expect(batch.body[0].result.errors.error[0].message).toEqual(expect.any(String));
  expect(batch.body[1].result).toEqual({});
});

test("the backup API's own errors keep their error body", async () => {
  const answer = await server.call('GET', '/backups/filesystem/no-such-backup');
  expect(answer.status).toBe(404);
  expect(errorMessage(answer)).toEqual(expect.any(String));
});
