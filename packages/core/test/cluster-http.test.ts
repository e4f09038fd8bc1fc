import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, HttpParticipant, isFinalStatus, type BackupEngine } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { SECRET, WriteGate, startCluster, stopCluster, type ClusterOptions, type TestNode } from './fixtures/http-cluster.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest, waitFor } from './fixtures/scratch.ts';

// Real HTTP between the nodes of a cluster, all in this process: each node's
// participant API on its own loopback server, the coordinator talking to the
// others through HttpParticipant, one shared storage directory.
let dir: string | undefined;
let nodes: TestNode[] = [];
afterEach(async () => {
  await stopCluster(nodes);
  nodes = [];
  if (dir) await removeDir(dir);
  dir = undefined;
});

async function cluster(names: readonly string[], options: ClusterOptions = {}): Promise<TestNode[]> {
  dir ??= await scratchDir('cluster-http');
  const started = await startCluster(dir, names, options);
  nodes.push(...started);
  // One collection with a shard on each node.
  for (const [index, node] of started.entries()) {
    await node.source.createCollection({ name: 'Spread', multiTenant: false, shards: [{ name: `shard${index}`, status: 'HOT' }] });
    await node.source.writeFile('Spread', `shard${index}/a.seg`, sampleBytes(60_000 + index));
    await node.source.writeFile('Spread', `shard${index}/b.seg`, sampleBytes(30_000 + index));
  }
  return started;
}

async function finalBackup(engine: BackupEngine, id: string) {
  await waitFor(`backup ${id}`, async () => isFinalStatus((await engine.backupStatus('shared', id)).status));
  return await engine.backupStatus('shared', id);
}

async function finalRestore(engine: BackupEngine, id: string) {
  await waitFor(`restore ${id}`, async () => isFinalStatus((await engine.restoreStatus('shared', id)).status));
  return await engine.restoreStatus('shared', id);
}

const stored = async (): Promise<string[]> => await listFiles(join(dir!, 'backups'));

describe('a cluster over HTTP', { timeout: 120_000 }, () => {
  test('backs up every node under <id>/<node>/ and restores each node its own shards', async () => {
    const [node1, node2, node3] = await cluster(['node1', 'node2', 'node3']);
    const before = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    await node1!.engine.createBackup({ backend: 'shared', id: 'three' });
    const report = await finalBackup(node1!.engine, 'three');
    expect(report).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(report.sizeBytes).toBe(3 * 90_000 + 3 * 2);
    const files = await stored();
    for (const node of ['node1', 'node2', 'node3']) {
      expect(files).toContain(`three/${node}/backup.json`);
      expect(files.some((path) => path.startsWith(`three/${node}/Spread/chunk-`))).toBe(true);
    }
    expect(node2!.received).toContain('POST /internal/backups/three/commit');
    for (const node of nodes) expect(node.source.heldSnapshots.size).toBe(0);

    for (const node of nodes) await node.source.dropCollection('Spread');
    // Any node can coordinate the restore.
    await node3!.engine.restore({ backend: 'shared', id: 'three' });
    expect(await finalRestore(node3!.engine, 'three')).toMatchObject({ status: 'SUCCESS', error: '' });
    const after = await Promise.all(nodes.map((node) => treeDigest(node.source.collectionDir('Spread'))));
    expect(after).toEqual(before);
    expect(node1!.received).toContain('POST /internal/restores/three/finalize');
  });

  test('a request without the cluster secret, or with a wrong one, is refused with 401 and not processed', async () => {
    const [, node2] = await cluster(['node1', 'node2']);
    const body = JSON.stringify({ id: 'x', backend: 'shared', sourceNode: 'node2', collections: ['Spread'], cpuPercentage: 50 });
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${SECRET}`, `Bearer ${SECRET}x`, 'Bearer ']) {
      const response = await fetch(`${node2!.url}/internal/restores/x/can-restore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
      expect(response.status).toBe(401);
    }
    // Nothing was accepted: the node does not know restore x.
    const status = await fetch(`${node2!.url}/internal/restores/x/status`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(status.status).toBe(404);
    // A participant with the wrong secret gets ACCESS_DENIED, which the coordinator reports naming the node.
    const wrong = new HttpParticipant({ node: 'node2', url: node2!.url, secret: 'nope' });
    const error = await wrong.abortBackup('x').catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.ACCESS_DENIED)).toBe(true);
    expect((error as Error).message).toMatch(/^node node2: /);
  });

  test('abort of an id the node never heard of succeeds, for backups and restores', async () => {
    const [, node2] = await cluster(['node1', 'node2']);
    const participant = new HttpParticipant({ node: 'node2', url: node2!.url, secret: SECRET });
    await expect(participant.abortBackup('never-heard')).resolves.toBeUndefined();
    await expect(participant.abortRestore('never-heard')).resolves.toBeUndefined();
    await expect(participant.abortBackup('never-heard')).resolves.toBeUndefined();
  });
});

