// POST /v1/schema/{class}/properties: Weaviate's add-property endpoint, which a
// cluster also uses to apply auto-schema additions on every node (so the same
// property again is a no-op, another type under that name a 422).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.call('POST', '/schema', { class: 'Note', properties: [{ name: 'title', dataType: ['text'] }] });
});
afterAll(async () => {
  await server?.stop();
});

test('adds a property once; the same again is 200, another type or a bad property 422, an unknown class 404', async () => {
  const added = await server.call('POST', '/schema/Note/properties', { name: 'words', dataType: ['int'] });
  expect(added.status).toBe(200);
  expect(added.body).toMatchObject({ name: 'words', dataType: ['int'] });
  expect((await server.call('POST', '/schema/Note/properties', { name: 'words', dataType: ['int'] })).status).toBe(200);
  expect((await server.call('POST', '/schema/Note/properties', { name: 'words', dataType: ['text'] })).status).toBe(422);
  expect((await server.call('POST', '/schema/Note/properties', { name: 'Words', dataType: ['int'] })).status).toBe(422);
  expect((await server.call('POST', '/schema/Note/properties', { name: 'x', dataType: ['nonsense'] })).status).toBe(422);
  expect((await server.call('POST', '/schema/Missing/properties', { name: 'x', dataType: ['text'] })).status).toBe(404);
  const schema = await server.call('GET', '/schema/Note');
  expect(schema.body.properties.map((property: { name: string }) => property.name)).toEqual(['title', 'words']);
  // The new property is checked on writes like any other.
  expect((await server.call('POST', '/objects', { class: 'Note', properties: { words: 'many' } })).status).toBe(422);
});
