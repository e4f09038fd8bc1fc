import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFinalStatus, verifyBackup, type BackupProvider } from '@backup/core';
import { assertDifferentData, assertSameData } from './compare.ts';
import { CHUNK_SIZE_MB, backupId, poll } from './nodes.ts';
import type { BackupClusterHost, BackupConformanceOptions, BackupControl } from './options.ts';

async function backUp(control: BackupControl, provider: BackupProvider, id: string): Promise<void> {
  await control.createBackup({ backend: provider.name, id, config: { chunkSizeMb: CHUNK_SIZE_MB } });
  const report = await poll(`backup ${id}`, async () => {
    const status = await control.backupStatus(provider.name, id);
    return isFinalStatus(status.status) ? status : undefined;
  });
  assert.equal(report.status, 'SUCCESS', `cluster backup ${id} through ${provider.name} ended ${report.status}: ${report.error}`);
}

async function restore(control: BackupControl, provider: BackupProvider, id: string, nodeMapping?: Record<string, string>) {
  await control.restore({ backend: provider.name, id, ...(nodeMapping ? { nodeMapping } : {}) });
  const report = await poll(`restore of ${id}`, async () => {
    const status = await control.restoreStatus(provider.name, id);
    return isFinalStatus(status.status) ? status : undefined;
  });
  assert.equal(report.status, 'SUCCESS', `cluster restore of ${id} from ${provider.name} ended ${report.status}: ${report.error}`);
}

/** `dumpByNode` of the original cluster, keyed by the names the nodes have after `mapping`. */
function renamed(dumps: Readonly<Record<string, unknown>>, mapping: Readonly<Record<string, string>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(dumps).map(([node, dump]) => [mapping[node] ?? node, dump]));
}

/**
 * Through one provider, on a cluster: a backup requested on the last node
 * stores a descriptor per node and verifies; it restores onto a fresh cluster
 * of the same names with each node's objects back on that node, and onto a
 * cluster of other names through a complete `node_mapping`; an incomplete
 * mapping is refused before anything is restored.
 */
export function clusterRoundTripTest(options: BackupConformanceOptions, host: BackupClusterHost, label: string): void {
  const factory = options.providers[label];
  if (!factory) throw new Error(`runBackupConformance: no provider "${label}"`);
  if (host.nodes.length < 2) throw new Error('runBackupConformance: a cluster host needs two or more nodes');
  options.test(
    `cluster backup ${label}: any node backs up the cluster; it restores node by node, and under other names through node_mapping`,
    async () => {
      const cleanups: (() => Promise<unknown>)[] = [];
      const base = options.scratchDir ?? process.env.BACKUP_TEST_SCRATCH ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
      await mkdir(base, { recursive: true });
      const dir = await mkdtemp(join(base, 'backup-conformance-cluster-'));
      let opened = 0;
      const open = async (nodeNames: readonly string[], providers: readonly BackupProvider[]) => {
        const cluster = await host.open({ directory: join(dir, `cluster-${opened++}`), nodeNames, providers });
        cleanups.push(() => host.close(cluster));
        return cluster;
      };
      try {
        const provider = await factory();
        cleanups.push(() => provider.close());
        const nodes = host.nodes;
        const origin = await open(nodes, [provider]);
        await host.populate(origin);
        const expected = await host.dumpByNode(origin);
        assert.deepEqual(Object.keys(expected).sort(), [...nodes].sort(), 'dumpByNode names every node of the cluster');
        const id = backupId('cluster');
        await backUp(host.control(origin, nodes[nodes.length - 1]!), provider, id);
        for (const node of nodes) {
          assert.ok(await provider.exists(`${id}/${node}/backup.json`), `node ${node} wrote its descriptor ${id}/${node}/backup.json`);
        }
        assert.deepEqual((await verifyBackup({ id, provider })).problems, [], 'the cluster backup verifies');

        const fresh = await open(nodes, [provider]);
        assertDifferentData(await host.dumpByNode(fresh), expected, 'the host dumps an empty cluster like a populated one: dumpByNode proves nothing');
        await restore(host.control(fresh, nodes[0]!), provider, id);
        assertSameData(await host.dumpByNode(fresh), expected, `cluster restored from ${label}, node by node`);

        const mapping = Object.fromEntries(nodes.map((node, index) => [node, `renamed${index}`]));
        const other = await open(Object.values(mapping), [provider]);
        const empty = await host.dumpByNode(other);
        const incomplete = Object.fromEntries(Object.entries(mapping).slice(1));
        await assert.rejects(
          host.control(other, mapping[nodes[0]!]!).restore({ backend: provider.name, id, nodeMapping: incomplete }),
          (error: { code?: unknown; status?: unknown }) => error.code === 'INVALID_ARGUMENT' || error.status === 422,
          'a node_mapping that leaves a node of the backup unmapped is refused (INVALID_ARGUMENT, HTTP 422)',
        );
        assertSameData(await host.dumpByNode(other), empty, 'a refused restore restores nothing');
        await restore(host.control(other, mapping[nodes[0]!]!), provider, id, mapping);
        assertSameData(await host.dumpByNode(other), renamed(expected, mapping), `cluster restored from ${label} under other names`);
      } finally {
        let failure: { error: unknown } | undefined;
        for (const cleanup of cleanups.reverse()) {
          try {
            await cleanup();
          } catch (error) {
            failure ??= { error };
          }
        }
        await rm(dir, { recursive: true, force: true });
        // biome-ignore lint/correctness/noUnsafeFinally: the first cleanup failure is the test's outcome once cleanups ran
        if (failure) throw failure.error;
      }
    },
    options.timeoutMs ?? 120_000,
  );
}
