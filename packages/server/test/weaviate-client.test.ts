import { randomUUID } from 'node:crypto';
import weaviateModule, { ApiKey, type ConnectionParams, type WeaviateClient } from 'weaviate-ts-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

// Real clients must work unchanged: the REST-only weaviate-ts-client v2
// against this server, with API-key authentication on.
// The package's types describe its CommonJS build; its ESM build's default export is the `app` object.
const weaviate = weaviateModule as unknown as { client(params: ConnectionParams): WeaviateClient };

let server: TestServer;
let client: WeaviateClient;
beforeAll(async () => {
  server = await startTestServer({ AUTHENTICATION_APIKEY_ENABLED: 'true', AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'client-key' });
  const url = new URL(server.url);
  client = weaviate.client({ scheme: 'http', host: url.host, apiKey: new ApiKey('client-key') });
});
afterAll(async () => {
  await server?.stop();
});

describe('weaviate-ts-client v2', { timeout: 30_000 }, () => {
  test('meta, liveness and nodes', async () => {
    expect(await client.misc.liveChecker().do()).toBe(true);
    expect(await client.misc.readyChecker().do()).toBe(true);
    const meta = await client.misc.metaGetter().do();
    expect(Object.keys(meta.modules)).toContain('backup-filesystem');
    const nodes = await client.cluster.nodesStatusGetter().do();
    expect(nodes.nodes?.[0]?.name).toBe('node1');
  });

  test('schema, objects, batch and cursor paging', async () => {
    const created = await client.schema
      .classCreator()
      .withClass({ class: 'Book', properties: [{ name: 'title', dataType: ['text'] }] })
      .do();
    expect(created.class).toBe('Book');
    expect((await client.schema.getter().do()).classes?.map((c) => c.class)).toEqual(['Book']);

    const id = randomUUID();
    const object = await client.data.creator().withClassName('Book').withId(id).withProperties({ title: 'Dune' }).do();
    expect(object.id).toBe(id);
    const read = await client.data.getterById().withClassName('Book').withId(id).do();
    expect(read.properties).toEqual({ title: 'Dune' });
    expect(await client.data.checker().withClassName('Book').withId(id).do()).toBe(true);

    await client.data.merger().withClassName('Book').withId(id).withProperties({ title: 'Dune Messiah' }).do();
    expect((await client.data.getterById().withClassName('Book').withId(id).do()).properties).toEqual({ title: 'Dune Messiah' });

    const batch = await client.batch
      .objectsBatcher()
      .withObjects(...Array.from({ length: 30 }, (_, n) => ({ class: 'Book', properties: { title: `Book ${n}` } })))
      .do();
    expect(batch).toHaveLength(30);
    expect(batch.every((result) => result.result?.errors === undefined)).toBe(true);

    const seen = new Set<string>();
    let after: string | undefined;
    for (;;) {
      let getter = client.data.getter().withClassName('Book').withLimit(7);
      if (after !== undefined) getter = getter.withAfter(after);
      const page = await getter.do();
      const objects = page.objects ?? [];
      if (objects.length === 0) break;
      for (const item of objects) seen.add(item.id!);
      after = objects.at(-1)!.id;
    }
    expect(seen.size).toBe(31);

    await client.data.deleter().withClassName('Book').withId(id).do();
    expect(await client.data.checker().withClassName('Book').withId(id).do()).toBe(false);
  });

  test('tenants', async () => {
    await client.schema
      .classCreator()
      .withClass({ class: 'Diary', multiTenancyConfig: { enabled: true }, properties: [{ name: 'text', dataType: ['text'] }] })
      .do();
    await client.schema.tenantsCreator('Diary', [{ name: 'ann' }, { name: 'ben', activityStatus: 'COLD' }]).do();
    const tenants = await client.schema.tenantsGetter('Diary').do();
    expect(tenants.map((t) => [t.name, t.activityStatus]).sort()).toEqual([
      ['ann', 'HOT'],
      ['ben', 'COLD'],
    ]);
    const object = await client.data.creator().withClassName('Diary').withTenant('ann').withProperties({ text: 'hi' }).do();
    const read = await client.data.getterById().withClassName('Diary').withId(object.id!).withTenant('ann').do();
    expect(read.properties).toEqual({ text: 'hi' });
    await expect(client.data.creator().withClassName('Diary').withTenant('ben').withProperties({ text: 'x' }).do()).rejects.toThrow(/422/);
  });

  test('backup and restore with wait-for-completion', async () => {
    const backup = await client.backup
      .creator()
      .withBackend('filesystem')
      .withBackupId('client-backup')
      .withIncludeClassNames('Book')
      .withWaitForCompletion(true)
      .do();
    expect(backup.status).toBe('SUCCESS');
    await client.schema.classDeleter().withClassName('Book').do();
    const restore = await client.backup.restorer().withBackend('filesystem').withBackupId('client-backup').withWaitForCompletion(true).do();
    expect(restore.status).toBe('SUCCESS');
    expect((await client.data.getter().withClassName('Book').withLimit(100).do()).objects).toHaveLength(30);
    // The status answers carry an extra `progress` object; the client's status getters pass it through untouched.
    const status = (await client.backup.createStatusGetter().withBackend('filesystem').withBackupId('client-backup').do()) as {
      status?: string;
      progress?: { bytesDone: number; bytesTotal: number };
    };
    expect(status.status).toBe('SUCCESS');
    expect(status.progress?.bytesDone).toBe(status.progress?.bytesTotal);
    const restored = (await client.backup.restoreStatusGetter().withBackend('filesystem').withBackupId('client-backup').do()) as {
      status?: string;
      progress?: { bytesDone: number };
    };
    expect(restored.status).toBe('SUCCESS');
    expect(restored.progress?.bytesDone).toBe(status.progress?.bytesDone);
  });
});
