import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('collections (/v1/schema)', () => {
  test('create, read, list and delete a class with Weaviate defaults', async () => {
    const created = await server.call('POST', '/schema', {
      class: 'Article',
      description: 'News articles',
      properties: [
        { name: 'title', dataType: ['text'] },
        { name: 'wordCount', dataType: ['int'] },
      ],
      shardingConfig: { desiredCount: 3 },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      class: 'Article',
      description: 'News articles',
      vectorizer: 'none',
      multiTenancyConfig: { enabled: false },
      shardingConfig: { desiredCount: 3 },
    });
    expect(created.body.properties.map((p: { name: string }) => p.name)).toEqual(['title', 'wordCount']);

    const read = await server.call('GET', '/schema/Article');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    await server.call('POST', '/schema', { class: 'Publication' });
    const list = await server.call('GET', '/schema');
    expect(list.status).toBe(200);
    expect(list.body.classes.map((c: { class: string }) => c.class)).toEqual(['Article', 'Publication']);

    expect((await server.call('DELETE', '/schema/Publication')).status).toBe(200);
    expect((await server.call('GET', '/schema/Publication')).status).toBe(404);
    // Deleting what is not there is not an error (as in Weaviate).
    expect((await server.call('DELETE', '/schema/Publication')).status).toBe(200);
  });

  test('a duplicate class is refused with 422, whatever its letter case', async () => {
    await server.call('POST', '/schema', { class: 'Dup' });
    const again = await server.call('POST', '/schema', { class: 'Dup' });
    expect(again.status).toBe(422);
    expect(errorMessage(again)).toMatch(/Dup/);
    expect((await server.call('POST', '/schema', { class: 'DUP' })).status).toBe(422);
  });

  test.each([
    ['a lower-case class name', { class: 'article' }],
    ['a class name with a dash', { class: 'My-Class' }],
    ['no class name', { properties: [] }],
    ['a property without dataType', { class: 'NoType', properties: [{ name: 'x' }] }],
    ['an unknown dataType', { class: 'BadType', properties: [{ name: 'x', dataType: ['texty'] }] }],
    ['a bad property name', { class: 'BadProp', properties: [{ name: '1x', dataType: ['text'] }] }],
    [
      'duplicate properties',
      {
        class: 'Twice',
        properties: [
          { name: 'a', dataType: ['text'] },
          { name: 'A', dataType: ['int'] },
        ],
      },
    ],
    ['a non-boolean multiTenancyConfig.enabled', { class: 'Mt', multiTenancyConfig: { enabled: 'yes' } }],
    ['a zero desiredCount', { class: 'Zero', shardingConfig: { desiredCount: 0 } }],
    ['a vectorizer module that is not there', { class: 'Vec', vectorizer: 'text2vec-openai' }],
    ['an array instead of an object', [{ class: 'Arr' }]],
  ])('%s is a 422 with an error body', async (_what, body) => {
    const answer = await server.call('POST', '/schema', body);
    expect(answer.status).toBe(422);
    expect(errorMessage(answer).length).toBeGreaterThan(0);
  });

  test('malformed JSON is a 400 with an error body', async () => {
    const answer = await server.call('POST', '/schema', '{"class": "Broken",');
    expect(answer.status).toBe(400);
    expect(errorMessage(answer)).toMatch(/JSON/);
  });

  test('an unknown class is a 404 with an empty body, as Weaviate answers it', async () => {
    const answer = await server.call('GET', '/schema/Missing');
    expect(answer.status).toBe(404);
    expect(answer.body).toBeUndefined();
  });

  test('the schema survives a restart of the store', async () => {
    const other = await startTestServer();
    try {
      await other.call('POST', '/schema', { class: 'Durable', properties: [{ name: 'name', dataType: ['text'] }] });
      await other.close();
      const again = await startTestServer({}, { dataPath: `${other.root}/data` });
      try {
        const read = await again.call('GET', '/schema/Durable');
        expect(read.status).toBe(200);
        expect(read.body.properties).toEqual([
          { name: 'name', dataType: ['text'], indexFilterable: true, indexRangeFilters: false, indexSearchable: true, tokenization: 'word' },
        ]);
      } finally {
        await again.stop();
      }
    } finally {
      await other.stop();
    }
  });
});
