// The REST-only weaviate-ts-client v2, unchanged, drives a 3-process cluster
// with API keys on (the nodes talk to each other with their own secret):
// data through one node, a backup through another, a restore through the third.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import weaviateModule, { ApiKey, type ConnectionParams, type WeaviateClient } from 'weaviate-ts-client';
import { afterAll, expect, inject, test } from 'vitest';
import { killCluster, startCluster, type ClusterNode } from '../src/cluster-processes.ts';
import { localIds, scratchRoot, uniqueId } from '../src/cluster-support.ts';
import { providerEnv } from '../src/providers.ts';

// The package's types describe its CommonJS build; its ESM build's default export is the `app` object.
const weaviate = weaviateModule as unknown as { client(params: ConnectionParams): WeaviateClient };

const root = scratchRoot('client');
let nodes: ClusterNode[] = [];
afterAll(async () => {
  await killCluster(nodes);
  rmSync(root, { recursive: true, force: true });
});

test('weaviate-ts-client backs up and restores a cluster through any node', { timeout: 180_000 }, async () => {
  const env = {
    ...providerEnv(inject('emulators'), join(root, 'filesystem')),
    AUTHENTICATION_APIKEY_ENABLED: 'true',
    AUTHENTICATION_APIKEY_ALLOWED_KEYS: 'client-key',
  };
  nodes = await startCluster({ names: ['node1', 'node2', 'node3'], root, env });
  const clients = nodes.map((node) => weaviate.client({ scheme: 'http', host: new URL(node.url).host, apiKey: new ApiKey('client-key') }));
  const [c1, c2, c3] = clients as [WeaviateClient, WeaviateClient, WeaviateClient];

  await c1.schema
    .classCreator()
    .withClass({ class: 'Book', properties: [{ name: 'title', dataType: ['text'] }] })
    .do();
  const batch = await c2.batch
    .objectsBatcher()
    .withObjects(...Array.from({ length: 45 }, (_, n) => ({ class: 'Book', properties: { title: `Book ${n}` } })))
    .do();
  expect(batch.every((result) => result.result?.errors === undefined)).toBe(true);
  // Spread over the nodes, as the cluster's status shows.
  const status = await c3.cluster.nodesStatusGetter().do();
  expect(status.nodes?.map((node) => node.name).sort()).toEqual(['node1', 'node2', 'node3']);
  for (const node of nodes) expect((await localIds(node, 'Book')).length).toBeGreaterThan(0);

  const id = uniqueId('client');
  const backup = await c3.backup.creator().withBackend('gcs').withBackupId(id).withIncludeClassNames('Book').withWaitForCompletion(true).do();
  expect(backup.status).toBe('SUCCESS');
  await c1.schema.classDeleter().withClassName('Book').do();
  const restore = await c2.backup.restorer().withBackend('gcs').withBackupId(id).withWaitForCompletion(true).do();
  expect(restore.status).toBe('SUCCESS');
  const titles = new Set<string>();
  let after: string | undefined;
  for (;;) {
    let getter = c1.data.getter().withClassName('Book').withLimit(10);
    if (after !== undefined) getter = getter.withAfter(after);
    const objects = (await getter.do()).objects ?? [];
    if (objects.length === 0) break;
    for (const object of objects) titles.add((object.properties as { title: string }).title);
    after = objects.at(-1)!.id;
  }
  expect(titles.size).toBe(45);
  // Existence checks (HEAD) and deletes reach the object's node through any node.
  const victim = batch[0]!.id!;
  expect(await c3.data.checker().withClassName('Book').withId(victim).do()).toBe(true);
  await c2.data.deleter().withClassName('Book').withId(victim).do();
  for (const client of clients) expect(await client.data.checker().withClassName('Book').withId(victim).do()).toBe(false);
  // Without the key, the public API is closed; the cluster secret is not a user key.
  const anonymous = await fetch(`${nodes[0]!.url}/v1/schema`);
  expect(anonymous.status).toBe(401);
  const withSecret = await fetch(`${nodes[0]!.url}/v1/schema`, { headers: { authorization: 'Bearer e2e-cluster-secret' } });
  expect(withSecret.status).toBe(401);
  const internalWithoutSecret = await fetch(`${nodes[0]!.url}/internal/cluster/v1/schema`, { headers: { authorization: 'Bearer client-key' } });
  expect(internalWithoutSecret.status).toBe(401);
});
