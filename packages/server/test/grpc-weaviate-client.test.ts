import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import weaviate, { type WeaviateClient } from 'weaviate-client';
import { startTestServer, type TestServer } from './helpers.ts';

/**
 * The TS v3 client (`weaviate-client` 3.14, nice-grpc) against a real server:
 * its start-up health check, insertMany (BatchObjects), fetchObjects /
 * fetchObjectById (Search), length() (Aggregate) and config.get() (the REST
 * collection shape), all unchanged.
 */
describe('weaviate-client v3 over gRPC', () => {
  let server: TestServer;
  let client: WeaviateClient;

  beforeAll(async () => {
    server = await startTestServer();
    client = await weaviate.connectToLocal({ host: '127.0.0.1', port: server.port, grpcPort: server.grpcPort });
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  test('connectToLocal passes its gRPC health check', async () => {
    expect(await client.isReady()).toBe(true);
  });

  test('insertMany, fetchObjects, fetchObjectById and length() see the same objects as REST', async () => {
    await client.collections.create({
      name: 'Article',
      properties: [
        { name: 'title', dataType: 'text' },
        { name: 'words', dataType: 'int' },
        { name: 'score', dataType: 'number' },
        { name: 'published', dataType: 'boolean' },
        { name: 'tags', dataType: 'text[]' },
        { name: 'ranks', dataType: 'int[]' },
      ],
    });
    const articles = client.collections.get('Article');
    const result = await articles.data.insertMany([
      { properties: { title: 'Hot backups', words: 1200, score: 0.5, published: true, tags: ['lsm', 'backup'], ranks: [1, 2] }, vectors: [0.25, 0.5, 1] },
      { properties: { title: 'LSM trees', words: 800, score: 1.5, published: false, tags: [], ranks: [3] } },
      { properties: { title: 'Bad', words: 'not a number' as unknown as number } },
    ]);
    expect(result.hasErrors).toBe(true);
    expect(Object.keys(result.errors)).toEqual(['2']);
    const [hotId, lsmId] = [result.uuids[0]!, result.uuids[1]!];

    // The REST API sees what gRPC wrote.
    const rest = await server.call('GET', `/objects/Article/${hotId}?include=vector`);
    expect(rest.status).toBe(200);
    expect(rest.body.properties).toEqual({ title: 'Hot backups', words: 1200, score: 0.5, published: true, tags: ['lsm', 'backup'], ranks: [1, 2] });
    expect(rest.body.vector).toEqual([0.25, 0.5, 1]);

    const byId = await articles.query.fetchObjectById(hotId, { includeVector: true });
    expect(byId?.uuid).toBe(hotId);
    expect(byId?.properties).toEqual({ title: 'Hot backups', words: 1200, score: 0.5, published: true, tags: ['lsm', 'backup'], ranks: [1, 2] });
    expect(byId?.vectors.default).toEqual([0.25, 0.5, 1]);
    expect(await articles.query.fetchObjectById('00000000-0000-4000-8000-000000000000')).toBeNull();

    const all = await articles.query.fetchObjects({ limit: 10 });
    expect(all.objects.map((object) => object.uuid).sort()).toEqual([hotId, lsmId].sort());
    const lsm = all.objects.find((object) => object.uuid === lsmId)!;
    expect(lsm.properties).toMatchObject({ title: 'LSM trees', published: false, tags: [] });

    const first = await articles.query.fetchObjects({ limit: 1 });
    const next = await articles.query.fetchObjects({ limit: 5, after: first.objects[0]!.uuid });
    expect([...first.objects, ...next.objects].map((object) => object.uuid).sort()).toEqual([hotId, lsmId].sort());
    const selected = await articles.query.fetchObjects({ limit: 10, returnProperties: ['title'] });
    expect(selected.objects.every((object) => Object.keys(object.properties).join() === 'title')).toBe(true);

    expect(await articles.length()).toBe(2);
    expect((await articles.aggregate.overAll()).totalCount).toBe(2);
  });

  test('config.get() parses the collection shape, the same after backup, delete and restore', async () => {
    await client.collections.create({
      name: 'Shape',
      properties: [
        { name: 'body', dataType: 'text' },
        { name: 'n', dataType: 'int' },
      ],
    });
    const config = await client.collections.get('Shape').config.get();
    expect(config.name).toBe('Shape');
    expect(config.invertedIndex.bm25).toEqual({ b: 0.75, k1: 1.2 });
    expect(config.sharding.desiredCount).toBe(1);
    expect(config.replication.factor).toBe(1);
    expect(config.properties.find((property) => property.name === 'body')).toMatchObject({
      indexFilterable: true,
      indexSearchable: true,
      tokenization: 'word',
    });
    expect(config.properties.find((property) => property.name === 'n')).toMatchObject({ indexFilterable: true, indexSearchable: false });

    const before = (await server.call('GET', '/schema/Shape')).body;
    expect((await server.call('POST', '/backups/filesystem', { id: 'shape-backup', include: ['Shape'] })).status).toBe(200);
    await waitFor(server, '/backups/filesystem/shape-backup');
    expect((await server.call('DELETE', '/schema/Shape')).status).toBe(200);
    expect((await server.call('POST', '/backups/filesystem/shape-backup/restore', {})).status).toBe(200);
    await waitFor(server, '/backups/filesystem/shape-backup/restore');
    expect((await server.call('GET', '/schema/Shape')).body).toEqual(before);
    expect(await client.collections.get('Shape').config.get()).toEqual(config);
  });

  test('a search the server does not run is refused, not answered as a fetch', async () => {
    await expect(client.collections.get('Article').query.nearVector([1, 0, 0])).rejects.toThrow(/UNIMPLEMENTED|not supported/);
  });
});

async function waitFor(server: TestServer, path: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const answer = await server.call('GET', path);
    if (answer.body.status === 'SUCCESS') return;
    if (answer.body.status === 'FAILED') throw new Error(`${path}: ${answer.body.error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} did not finish`);
}
