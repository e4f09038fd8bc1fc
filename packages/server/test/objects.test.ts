import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const created = await server.call('POST', '/schema', {
    class: 'Article',
    properties: [
      { name: 'title', dataType: ['text'] },
      { name: 'wordCount', dataType: ['int'] },
      { name: 'tags', dataType: ['text[]'] },
    ],
    shardingConfig: { desiredCount: 2 },
  });
  expect(created.status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
});

describe('objects CRUD', () => {
  test('create with a generated id, read, replace, merge, delete', async () => {
    const created = await server.call('POST', '/objects', {
      class: 'Article',
      properties: { title: 'Hello', wordCount: 3 },
      vector: [0.25, 0.5, 1],
    });
    expect(created.status).toBe(200);
    const id: string = created.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({ class: 'Article', properties: { title: 'Hello', wordCount: 3 }, vector: [0.25, 0.5, 1] });
    expect(created.body.creationTimeUnix).toBeTypeOf('number');
    expect(created.body.lastUpdateTimeUnix).toBe(created.body.creationTimeUnix);

    const read = await server.call('GET', `/objects/Article/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      class: 'Article',
      id,
      properties: { title: 'Hello', wordCount: 3 },
      creationTimeUnix: created.body.creationTimeUnix,
      lastUpdateTimeUnix: created.body.lastUpdateTimeUnix,
    });
    // As in Weaviate, the vector is shown when asked for.
    expect((await server.call('GET', `/objects/Article/${id}?include=vector`)).body.vector).toEqual([0.25, 0.5, 1]);

    const replaced = await server.call('PUT', `/objects/Article/${id}`, { class: 'Article', id, properties: { title: 'Replaced' } });
    expect(replaced.status).toBe(200);
    const afterPut = (await server.call('GET', `/objects/Article/${id}?include=vector`)).body;
    expect(afterPut.properties).toEqual({ title: 'Replaced' });
    expect(afterPut.vector).toBeUndefined();
    expect(afterPut.creationTimeUnix).toBe(created.body.creationTimeUnix);
    expect(afterPut.lastUpdateTimeUnix).toBeGreaterThanOrEqual(created.body.lastUpdateTimeUnix);

    const merged = await server.call('PATCH', `/objects/Article/${id}`, { class: 'Article', properties: { wordCount: 7 } });
    expect(merged.status).toBe(204);
    expect((await server.call('GET', `/objects/Article/${id}`)).body.properties).toEqual({ title: 'Replaced', wordCount: 7 });

    expect((await server.call('HEAD', `/objects/Article/${id}`)).status).toBe(204);
    expect((await server.call('DELETE', `/objects/Article/${id}`)).status).toBe(204);
    expect((await server.call('GET', `/objects/Article/${id}`)).status).toBe(404);
    expect((await server.call('HEAD', `/objects/Article/${id}`)).status).toBe(404);
    expect((await server.call('DELETE', `/objects/Article/${id}`)).status).toBe(404);
  });

  test('a given id is kept; creating it twice is a 422', async () => {
    const id = randomUUID();
    expect((await server.call('POST', '/objects', { class: 'Article', id, properties: { title: 'x' } })).status).toBe(200);
    const again = await server.call('POST', '/objects', { class: 'Article', id, properties: { title: 'y' } });
    expect(again.status).toBe(422);
    expect(errorMessage(again)).toMatch(/already exists/);
    expect((await server.call('GET', `/objects/Article/${id.toUpperCase()}`)).body.properties).toEqual({ title: 'x' });
  });

  test('PUT and PATCH of a missing object are 404', async () => {
    const id = randomUUID();
    expect((await server.call('PUT', `/objects/Article/${id}`, { properties: { title: 'x' } })).status).toBe(404);
    expect((await server.call('PATCH', `/objects/Article/${id}`, { properties: { title: 'x' } })).status).toBe(404);
  });

  test.each([
    ['an unknown class', { class: 'Nope', properties: {} }],
    ['a bad id', { class: 'Article', id: 'not-a-uuid', properties: {} }],
    ['a text property given a number', { class: 'Article', properties: { title: 5 } }],
    ['an int property given a fraction', { class: 'Article', properties: { wordCount: 1.5 } }],
    ['a text[] property given a string', { class: 'Article', properties: { tags: 'a' } }],
    ['a vector of strings', { class: 'Article', properties: {}, vector: ['a'] }],
    ['properties that are not an object', { class: 'Article', properties: [1] }],
    ['a tenant on a single-tenant class', { class: 'Article', properties: {}, tenant: 't1' }],
  ])('%s is a 422', async (_what, body) => {
    const answer = await server.call('POST', '/objects', body);
    expect(answer.status).toBe(422);
    expect(errorMessage(answer).length).toBeGreaterThan(0);
  });

  test('unknown properties are added to the schema with an inferred type (auto-schema)', async () => {
    const created = await server.call('POST', '/objects', {
      class: 'Article',
      properties: { title: 'auto', rating: 4.5, published: '2024-01-02T03:04:05Z', flags: [true] },
    });
    expect(created.status).toBe(200);
    const schema = (await server.call('GET', '/schema/Article')).body;
    const types = Object.fromEntries(schema.properties.map((p: { name: string; dataType: string[] }) => [p.name, p.dataType[0]]));
    expect(types).toMatchObject({ rating: 'number', published: 'date', flags: 'boolean[]' });
    // From now on the inferred type is enforced.
    expect((await server.call('POST', '/objects', { class: 'Article', properties: { rating: 'high' } })).status).toBe(422);
  });

  test('with AUTOSCHEMA_ENABLED=false unknown properties are refused', async () => {
    const strict = await startTestServer({ AUTOSCHEMA_ENABLED: 'false' });
    try {
      await strict.call('POST', '/schema', { class: 'Strict', properties: [{ name: 'a', dataType: ['text'] }] });
      const answer = await strict.call('POST', '/objects', { class: 'Strict', properties: { b: 'x' } });
      expect(answer.status).toBe(422);
      expect(errorMessage(answer)).toMatch(/no such prop/);
    } finally {
      await strict.stop();
    }
  });
});

describe('listing and paging', () => {
  test('after= pages through every object exactly once, in id order', async () => {
    await server.call('POST', '/schema', { class: 'Paged', shardingConfig: { desiredCount: 3 } });
    const ids = Array.from({ length: 57 }, () => randomUUID());
    const batch = await server.call('POST', '/batch/objects', {
      objects: ids.map((id, i) => ({ class: 'Paged', id, properties: { n: i } })),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.every((r: { result: object }) => Object.keys(r.result).length === 0)).toBe(true);

    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await server.call('GET', `/objects?class=Paged&limit=10${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.totalResults).toBe(page.body.objects.length);
      if (page.body.objects.length === 0) break;
      pages++;
      for (const object of page.body.objects) seen.push(object.id);
      after = page.body.objects.at(-1).id;
    }
    expect(pages).toBe(6);
    expect(seen).toEqual([...ids].sort());
  });

  test('limit defaults to 25, offset skips, and bad parameters are refused', async () => {
    const first = await server.call('GET', '/objects?class=Paged');
    expect(first.body.objects).toHaveLength(25);
    const skipped = await server.call('GET', '/objects?class=Paged&offset=50&limit=20');
    expect(skipped.body.objects).toHaveLength(7);
    expect(skipped.body.objects[0].id).toBe((await server.call('GET', '/objects?class=Paged&limit=51')).body.objects[50].id);
    expect((await server.call('GET', '/objects?class=Paged&limit=-1')).status).toBe(400);
    expect((await server.call('GET', '/objects?after=00000000-0000-0000-0000-000000000000')).status).toBe(422);
    expect((await server.call('GET', '/objects?class=Missing')).status).toBe(404);
  });
});

describe('batch', () => {
  test('bad objects fail alone; good ones are stored', async () => {
    const good = randomUUID();
    const answer = await server.call('POST', '/batch/objects', {
      objects: [
        { class: 'Article', id: good, properties: { title: 'ok' } },
        { class: 'Article', properties: { title: 42 } },
        { class: 'Unknown', properties: {} },
        { class: 'Article', id: 'bad-id' },
        'not an object',
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(5);
    expect(answer.body[0]).toMatchObject({ id: good, class: 'Article', result: {} });
    expect(answer.body[0].result.errors).toBeUndefined();
    for (const failed of answer.body.slice(1)) {
      expect(failed.result.errors.error[0].message).toBeTypeOf('string');
    }
    expect((await server.call('GET', `/objects/Article/${good}`)).status).toBe(200);
  });

  test('batch writes are upserts', async () => {
    const id = randomUUID();
    await server.call('POST', '/batch/objects', { objects: [{ class: 'Article', id, properties: { title: 'one' } }] });
    const again = await server.call('POST', '/batch/objects', { objects: [{ class: 'Article', id, properties: { title: 'two' } }] });
    expect(again.body[0].result).toEqual({});
    expect((await server.call('GET', `/objects/Article/${id}`)).body.properties.title).toBe('two');
  });

  test('a body without an objects array is a 422', async () => {
    expect((await server.call('POST', '/batch/objects', { objects: 'x' })).status).toBe(422);
  });
});

describe('listing with vectors', () => {
  test('include=vector shows each object vector in a listing, also across pages; without it none is shown', async () => {
    await server.call('POST', '/schema', { class: 'Embedded', properties: [{ name: 'n', dataType: ['int'] }], shardingConfig: { desiredCount: 2 } });
    const objects = Array.from({ length: 7 }, (_, n) => ({ class: 'Embedded', id: randomUUID(), properties: { n }, vector: [n, n / 2, 1 - n] }));
    expect((await server.call('POST', '/batch/objects', { objects })).status).toBe(200);
    const byId = new Map<string, number[]>(objects.map((object) => [object.id, object.vector]));

    const seen: Array<{ id: string; vector?: number[] }> = [];
    let after = '';
    for (;;) {
      const page = await server.call('GET', `/objects?class=Embedded&limit=3&include=vector${after ? `&after=${after}` : ''}`);
      if (page.body.objects.length === 0) break;
      seen.push(...page.body.objects);
      after = page.body.objects.at(-1).id;
    }
    expect(seen).toHaveLength(7);
    for (const object of seen) expect(object.vector).toEqual(byId.get(object.id));

    const plain = await server.call('GET', '/objects?class=Embedded&limit=10');
    expect(plain.body.objects).toHaveLength(7);
    for (const object of plain.body.objects) expect(object.vector).toBeUndefined();
  });
});
