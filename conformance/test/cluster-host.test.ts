// runBackupConformance pointed at a multi-node host: three nodes in this
// process, each with its own directory store and participant API on a real
// loopback HTTP server, sharing a filesystem backend (named "shared": the
// filesystem provider itself is refused on clusters).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { runBackupConformance, type BackupClusterHost } from '../src/index.ts';
import { sampleBytes, treeDigest } from '../../packages/core/test/fixtures/scratch.ts';
import { sharedProvider, startCluster, stopCluster, type TestNode } from '../../packages/core/test/fixtures/http-cluster.ts';

const host: BackupClusterHost<TestNode[]> = {
  nodes: ['node1', 'node2', 'node3'],
  open: async ({ directory, nodeNames, providers }) => await startCluster(directory, nodeNames, { providers }),
  control: (nodes, node) => nodes.find((candidate) => candidate.name === node)!.engine,
  async populate(nodes) {
    for (const [index, node] of nodes.entries()) {
      await node.source.createCollection({ name: 'Spread', multiTenant: false, shards: [{ name: `shard${index}`, status: 'HOT' }] });
      // A little over two 2 MB chunks per node.
      for (const file of ['a', 'b', 'c']) await node.source.writeFile('Spread', `shard${index}/${file}.seg`, sampleBytes(800_000 + index));
    }
  },
  dumpByNode: async (nodes) =>
    Object.fromEntries(await Promise.all(nodes.map(async (node) => [node.name, await treeDigest(node.source.collectionDir('Spread'))] as const))),
  close: async (nodes) => await stopCluster(nodes),
};

const storage: string[] = [];
afterAll(async () => {
  for (const dir of storage) await rm(dir, { recursive: true, force: true });
});

runBackupConformance({
  test,
  providers: {
    shared: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'conformance-cluster-'));
      storage.push(dir);
      return sharedProvider(dir);
    },
  },
  cluster: host,
});
