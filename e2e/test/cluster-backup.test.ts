// A 3-node cluster of real `backup-server` processes: data spread over the
// nodes by shard, backed up through any node to MinIO, Azurite and
// fake-gcs-server while writers keep writing to every node, and restored on a
// fresh cluster where every object is back on the node that owns it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { killCluster, startCluster, type ClusterNode } from '../src/cluster-processes.ts';
import { finalStatus, localIds, objectId, ownerOf, scratchRoot, startWriters, uniqueId } from '../src/cluster-support.ts';
import { providerEnv } from '../src/providers.ts';

const NAMES = ['node1', 'node2', 'node3'];
const SEEDED = 90;
const TENANTS = ['ann', 'ben', 'cy', 'dee', 'eve', 'fay'];

/** Each tenant's 5 objects are on the node its name hashes to, and only there (a COLD tenant is not listed). */
async function expectTenantsPlaced(nodes: readonly ClusterNode[], cold: readonly string[] = []): Promise<void> {
  for (const tenant of TENANTS.filter((name) => !cold.includes(name))) {
    const owner = ownerOf(tenant, NAMES);
    for (const node of nodes) {
      if (node.name === owner) expect((await localIds(node, 'Diary', tenant)).length, `${tenant} on ${owner}`).toBe(5);
      else expect((await node.local('GET', `/objects?class=Diary&tenant=${tenant}`)).status).toBe(422);
    }
  }
}

describe('a 3-process cluster', { timeout: 180_000 }, () => {
  const emulators = inject('emulators');
  const root = scratchRoot('backup');
  const env = providerEnv(emulators, join(root, 'filesystem'));
  let source: ClusterNode[] = [];
  let target: ClusterNode[] = [];

  beforeAll(async () => {
    source = await startCluster({ names: NAMES, root: join(root, 'source'), env, participantTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await killCluster([...source, ...target]);
    rmSync(root, { recursive: true, force: true });
  });

  test('spreads a class over the nodes: each object lives on the node of its shard, and any node reads and lists them all', async () => {
    const [n1, n2, n3] = source as [ClusterNode, ClusterNode, ClusterNode];
    expect((await n1.call('POST', '/schema', { class: 'Article', properties: [{ name: 'title', dataType: ['text'] }] })).status).toBe(200);
    // The schema is the same on every node, with one shard per node by default.
    for (const node of source) {
      const answer = await node.call('GET', '/schema/Article');
      expect(answer.body.shardingConfig.desiredCount).toBe(3);
    }
    const objects = Array.from({ length: SEEDED }, (_, i) => ({ class: 'Article', id: objectId(1, i), properties: { title: `t${i}` } }));
    const batch = await n2.call('POST', '/batch/objects', { objects });
    expect(batch.status).toBe(200);
    expect(batch.body.map((entry: { id: string; result: unknown }) => [entry.id, entry.result])).toEqual(objects.map((o) => [o.id, {}]));
    for (const node of source) {
      const expected = objects.map((o) => o.id).filter((id) => ownerOf(id, NAMES) === node.name);
      expect(expected.length).toBeGreaterThan(10);
      expect((await localIds(node, 'Article')).sort()).toEqual(expected.sort());
    }
    // Reads, writes and lists through any node.
    const id = objectId(1, 7);
    for (const node of source) expect((await node.call('GET', `/objects/Article/${id}`)).body.properties).toEqual({ title: 't7' });
    expect((await n3.call('PATCH', `/objects/Article/${id}`, { properties: { title: 'patched' } })).status).toBe(204);
    expect((await n1.call('GET', `/objects/Article/${id}`)).body.properties).toEqual({ title: 'patched' });
    const listed = await n1.call('GET', '/objects?class=Article&limit=50&offset=20');
    expect(listed.body.objects.map((o: { id: string }) => o.id)).toEqual(
      objects
        .map((o) => o.id)
        .sort()
        .slice(20, 70),
    );
    // Auto-schema on one node reaches every node.
    expect((await n3.call('POST', '/objects', { class: 'Article', id: objectId(1, 999), properties: { words: 12 } })).status).toBe(200);
    for (const node of source) {
      const properties = (await node.call('GET', '/schema/Article')).body.properties.map((p: { name: string }) => p.name);
      expect(properties).toEqual(['title', 'words']);
    }
    const nodes = await n2.call('GET', '/nodes');
    expect(nodes.body.nodes.map((node: { name: string }) => node.name).sort()).toEqual(NAMES);
  });

  test('places each tenant on one node: its objects live there, and any node reads and lists them', async () => {
    const [n1, n2, n3] = source as [ClusterNode, ClusterNode, ClusterNode];
    expect((await n1.call('POST', '/schema', { class: 'Diary', multiTenancyConfig: { enabled: true } })).status).toBe(200);
    expect(
      (
        await n3.call(
          'POST',
          '/schema/Diary/tenants',
          TENANTS.map((name) => ({ name })),
        )
      ).status,
    ).toBe(200);
    const objects = TENANTS.flatMap((tenant, t) =>
      Array.from({ length: 5 }, (_, i) => ({ class: 'Diary', tenant, id: objectId(2, t * 10 + i), properties: { text: `${tenant} ${i}` } })),
    );
    expect((await n1.call('POST', '/batch/objects', { objects })).body.every((entry: { result: object }) => Object.keys(entry.result).length === 0)).toBe(true);
    await expectTenantsPlaced(source);
    expect((await n2.call('GET', `/objects?class=Diary&tenant=${TENANTS[0]}`)).body.objects).toHaveLength(5);
    // A tenant status change reaches every node; the tenant's node closes it.
    expect((await n2.call('PUT', '/schema/Diary/tenants', [{ name: TENANTS[5], activityStatus: 'COLD' }])).status).toBe(200);
    for (const node of source) {
      const tenants = (await node.call('GET', '/schema/Diary/tenants')).body as { name: string; activityStatus: string }[];
      expect(tenants.find((tenant) => tenant.name === TENANTS[5])!.activityStatus).toBe('COLD');
    }
  });

  test('backs up through any node to S3, Azure and GCS under writes on every node; a fresh cluster restores every acknowledged object on its node', async () => {
    const backends = ['s3', 'azure', 'gcs'] as const;
    const runs: { backend: string; id: string; expected: string[]; bytes: number }[] = [];
    for (const [index, backend] of backends.entries()) {
      const coordinator = source[index]!;
      const writers = startWriters(source, 'Article', 100 + index);
      await writers.until(15);
      // The writes acknowledged before the request is sent (the list only grows, in order).
      const acknowledgedBefore = writers.acknowledged.length;
      const id = uniqueId(`cluster-${backend}`);
      const created = await coordinator.call('POST', `/backups/${backend}`, { id, include: ['Article', 'Diary'] });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const done = await finalStatus(coordinator, `/backups/${backend}/${id}`);
      await writers.stop();
      expect(done.body.status, JSON.stringify(done.body)).toBe('SUCCESS');
      expect(writers.failures).toEqual([]);
      // The coordinator's progress counts every node's bytes, files and chunks (they came back in its polls).
      const progress = done.body.progress as {
        bytesDone: number;
        bytesTotal: number;
        filesDone: number;
        filesTotal: number;
        chunksDone: number;
        chunksTotal: number;
      };
      expect(progress.bytesTotal).toBe(Math.round((done.body.size as number) * 1024 ** 3));
      expect(progress).toMatchObject({ bytesDone: progress.bytesTotal, filesDone: progress.filesTotal, chunksDone: progress.chunksTotal });
      const before = writers.acknowledged.slice(0, acknowledgedBefore).map((write) => write.id);
      expect(before.length).toBeGreaterThanOrEqual(15);
      runs.push({
        backend,
        id,
        bytes: progress.bytesTotal,
        expected: [...(await localIdsOfCluster(source)).filter((known) => known.startsWith('00000001') || before.includes(known))],
      });
    }

    target = await startCluster({ names: NAMES, root: join(root, 'target'), env, participantTimeoutMs: 5_000 });
    for (const [index, run] of runs.entries()) {
      const coordinator = target[(index + 1) % target.length]!;
      const started = await coordinator.call('POST', `/backups/${run.backend}/${run.id}/restore`, {});
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const done = await finalStatus(coordinator, `/backups/${run.backend}/${run.id}/restore`);
      expect(done.body.status, JSON.stringify(done.body)).toBe('SUCCESS');
      expect(done.body.progress).toMatchObject({ bytesDone: run.bytes, bytesTotal: run.bytes });
      // Every object acknowledged before the request is back, on the node that owns it.
      for (const node of target) {
        const held = new Set(await localIds(node, 'Article'));
        const missing = run.expected.filter((id) => ownerOf(id, NAMES) === node.name && !held.has(id));
        expect(missing, `${run.backend}: objects missing on ${node.name}`).toEqual([]);
        expect([...held].every((id) => ownerOf(id, NAMES) === node.name)).toBe(true);
      }
      const sample = run.expected[run.expected.length - 1]!;
      expect((await target[0]!.call('GET', `/objects/Article/${sample}`)).status).toBe(200);
      await expectTenantsPlaced(target, [TENANTS[5]!]);
      for (const node of target) {
        const tenants = (await node.call('GET', '/schema/Diary/tenants')).body as { name: string; activityStatus: string }[];
        expect(tenants.find((tenant) => tenant.name === TENANTS[5])!.activityStatus).toBe('COLD');
      }
      // Next backend: the classes go on every node, so they can be restored again.
      for (const name of ['Article', 'Diary']) {
        expect((await target[2]!.call('DELETE', `/schema/${name}`)).status).toBe(200);
        for (const node of target) expect((await node.call('GET', `/schema/${name}`)).status).toBe(404);
      }
    }
  });
});

async function localIdsOfCluster(nodes: readonly ClusterNode[]): Promise<string[]> {
  return (await Promise.all(nodes.map((node) => localIds(node, 'Article')))).flat();
}
