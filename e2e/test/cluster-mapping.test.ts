// Restore onto other clusters: other node names through node_mapping (every
// shard lands on the node its old node maps to), refusals before anything is
// downloaded when the node count or names do not match, and the filesystem
// provider refused on a cluster.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { killCluster, startCluster, type ClusterNode } from '../src/cluster-processes.ts';
import { finalStatus, localIds, objectId, ownerOf, scratchRoot, uniqueId } from '../src/cluster-support.ts';
import { providerEnv } from '../src/providers.ts';

const NAMES = ['node1', 'node2', 'node3'];

describe('restoring a cluster backup elsewhere', { timeout: 180_000 }, () => {
  const emulators = inject('emulators');
  const root = scratchRoot('mapping');
  const env = providerEnv(emulators, join(root, 'filesystem'));
  const started: ClusterNode[] = [];
  afterAll(async () => {
    await killCluster(started);
    rmSync(root, { recursive: true, force: true });
  });

  test('node_mapping puts each node of the backup on its new node; another node count or unmapped names are refused with 422; the filesystem provider is refused on a cluster', async () => {
    const source = await startCluster({ names: NAMES, root: join(root, 'source'), env });
    started.push(...source);
    expect((await source[0]!.call('POST', '/schema', { class: 'Mapped' })).status).toBe(200);
    const ids = Array.from({ length: 30 }, (_, i) => objectId(7, i));
    const batch = await source[1]!.call('POST', '/batch/objects', {
      objects: ids.map((id) => ({ class: 'Mapped', id, properties: { n: `o-${id.slice(-4)}` } })),
    });
    expect(batch.body.every((entry: { result: object }) => Object.keys(entry.result).length === 0)).toBe(true);

    const refused = await source[2]!.call('POST', '/backups/filesystem', { id: uniqueId('fs') });
    expect(refused.status).toBe(422);
    expect(refused.body.error[0].message).toMatch(/only compatible with single-node backups/);

    const id = uniqueId('mapped');
    expect((await source[1]!.call('POST', '/backups/s3', { id })).status).toBe(200);
    expect((await finalStatus(source[1]!, `/backups/s3/${id}`)).body.status).toBe('SUCCESS');
    await killCluster(source);

    const [target, solo] = await Promise.all([
      startCluster({ names: ['a', 'b', 'c'], root: join(root, 'target'), env }),
      startCluster({ names: ['solo'], root: join(root, 'solo'), env }),
    ]);
    started.push(...target, ...solo);
    // Another node count: refused before anything is downloaded, nothing created.
    const single = await solo[0]!.call('POST', `/backups/s3/${id}/restore`, {});
    expect(single.status).toBe(422);
    expect(single.body.error[0].message).toMatch(/3 node/);
    expect((await solo[0]!.call('GET', '/schema/Mapped')).status).toBe(404);
    // Same count, other names, no (or a partial) mapping: refused, naming the nodes.
    const unmapped = await target[0]!.call('POST', `/backups/s3/${id}/restore`, {});
    expect(unmapped.status).toBe(422);
    expect(unmapped.body.error[0].message).toMatch(/node1/);
    const partial = await target[0]!.call('POST', `/backups/s3/${id}/restore`, { node_mapping: { node1: 'a' } });
    expect(partial.status).toBe(422);
    for (const node of target) expect((await node.call('GET', '/schema/Mapped')).status).toBe(404);

    // A permutation, so that placing shards again by name would put them elsewhere.
    const mapping: Record<string, string> = { node1: 'c', node2: 'a', node3: 'b' };
    const restored = await target[1]!.call('POST', `/backups/s3/${id}/restore`, { node_mapping: mapping });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect((await finalStatus(target[1]!, `/backups/s3/${id}/restore`)).body.status).toBe('SUCCESS');
    for (const node of target) {
      const expected = ids.filter((object) => mapping[ownerOf(object, NAMES)] === node.name);
      expect((await localIds(node, 'Mapped')).sort()).toEqual(expected.sort());
    }
    // Routing follows the restored placement: a write through any node lands where the shard now is.
    const moved = ids.find((object) => ownerOf(object, NAMES) === 'node1')!;
    expect((await target[0]!.call('PUT', `/objects/Mapped/${moved}`, { class: 'Mapped', id: moved, properties: { n: 'again' } })).status).toBe(200);
    const c = target.find((node) => node.name === 'c')!;
    expect((await c.local('GET', `/objects/Mapped/${moved}`)).body.properties).toEqual({ n: 'again' });
    const shards = (await target[2]!.call('GET', '/nodes')).body.nodes.flatMap((node: { name: string; shards: unknown[] }) => node.shards.map(() => node.name));
    expect(shards.sort()).toEqual(['a', 'b', 'c']);
  });
});
