/**
 * `runBackupConformance`'s cluster host over real processes: every node is a
 * `backup-server` process, driven through its REST API only, with its
 * storage configured to the place the suite's provider factory created.
 */
import { randomBytes } from 'node:crypto';
import type { BackupProvider, BackupStatusReport, CreateBackupResult, RestoreResult, RestoreStatusReport } from '@backup/core';
import type { BackupClusterHost, BackupControl } from '@backup/conformance';
import { S3Provider } from '@backup/provider-s3';
import { killCluster, startCluster, type Answer, type ClusterNode } from './cluster-processes.ts';
import { objectId } from './cluster-support.ts';
import type { ProviderCoordinates } from './providers.ts';
import { providerEnv } from './providers.ts';

/** An S3 provider factory that remembers where each of its providers stores backups. */
export function s3Factory(emulators: ProviderCoordinates) {
  const paths = new Map<BackupProvider, string>();
  const factory = (): BackupProvider => {
    const path = `${emulators.runPrefix}/cluster-conformance-${randomBytes(4).toString('hex')}`;
    const provider = new S3Provider({
      bucket: emulators.s3.bucket,
      path,
      endpoint: emulators.s3.endpoint,
      useSSL: false,
      region: emulators.s3.region,
      credentials: { accessKeyId: emulators.s3.accessKeyId, secretAccessKey: emulators.s3.secretAccessKey },
    });
    paths.set(provider, path);
    return provider;
  };
  return { factory, pathOf: (provider: BackupProvider) => paths.get(provider) };
}

class RestError extends Error {
  readonly status: number;
  constructor(answer: Answer) {
    super(`${answer.status}: ${JSON.stringify(answer.body)}`);
    this.status = answer.status;
  }
}

function ok(answer: Answer, status = 200): Answer {
  if (answer.status !== status) throw new RestError(answer);
  return answer;
}

/** A node's backup API over its REST endpoints, as the conformance suite drives it. */
function restControl(node: ClusterNode): BackupControl {
  const control = {
    async createBackup(request) {
      const config = request.config ?? {};
      const answer = await node.call('POST', `/backups/${request.backend}`, {
        id: request.id,
        ...(request.include ? { include: request.include } : {}),
        ...(request.exclude ? { exclude: request.exclude } : {}),
        config: {
          ...(config.chunkSizeMb !== undefined ? { ChunkSize: config.chunkSizeMb } : {}),
          ...(config.cpuPercentage !== undefined ? { CPUPercentage: config.cpuPercentage } : {}),
          ...(config.compressionLevel !== undefined ? { CompressionLevel: config.compressionLevel } : {}),
        },
      });
      return ok(answer).body as CreateBackupResult;
    },
    async backupStatus(backend: string, id: string) {
      return ok(await node.call('GET', `/backups/${backend}/${id}`)).body as BackupStatusReport;
    },
    async restore(request) {
      const answer = await node.call('POST', `/backups/${request.backend}/${request.id}/restore`, {
        ...(request.nodeMapping ? { node_mapping: request.nodeMapping } : {}),
      });
      return ok(answer).body as RestoreResult;
    },
    async restoreStatus(backend: string, id: string) {
      return ok(await node.call('GET', `/backups/${backend}/${id}/restore`)).body as RestoreStatusReport;
    },
  } satisfies Partial<BackupControl> as BackupControl;
  return control;
}

/** A class spread over every node (one shard per node), with vectors; a few MiB in all. */
async function populate(nodes: readonly ClusterNode[]): Promise<void> {
  const first = nodes[0]!;
  ok(await first.call('POST', '/schema', { class: 'Spread', properties: [{ name: 'body', dataType: ['text'] }] }));
  for (let batch = 0; batch < 6; batch++) {
    const objects = Array.from({ length: 50 }, (_, i) => ({
      class: 'Spread',
      id: objectId(0x5eed, batch * 50 + i),
      properties: { body: randomBytes(6_000).toString('base64') },
      vector: Array.from({ length: 8 }, (_, k) => (i + k) / 10),
    }));
    const answer = ok(await nodes[batch % nodes.length]!.call('POST', '/batch/objects', { objects }));
    const failed = (answer.body as { result: object }[]).filter((entry) => Object.keys(entry.result).length > 0);
    if (failed.length > 0) throw new Error(`populate: ${JSON.stringify(failed[0])}`);
  }
}

/** What one node's own store holds: the schema and every object with its vector, in id order. */
async function dumpNode(node: ClusterNode): Promise<unknown> {
  const schema = ok(await node.local('GET', '/schema')).body;
  const objects: unknown[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ class: 'Spread', limit: '500', include: 'vector', ...(after ? { after } : {}) });
    const answer = await node.local('GET', `/objects?${query}`);
    if (answer.status === 404 || answer.status === 422) break; // no such class here (yet)
    const page = ok(answer).body.objects as { id: string }[];
    objects.push(...page);
    if (page.length < 500) break;
    after = page[page.length - 1]!.id;
  }
  return { schema, objects };
}

export function processClusterHost(
  emulators: ProviderCoordinates,
  scratch: string,
  pathOf: (provider: BackupProvider) => string | undefined,
): BackupClusterHost<ClusterNode[]> {
  return {
    nodes: ['node1', 'node2', 'node3'],
    async open({ directory, nodeNames, providers }) {
      const path = pathOf(providers[0]!);
      if (path === undefined) throw new Error('the cluster host only knows providers made by its own factory');
      return await startCluster({ names: nodeNames, root: directory, env: providerEnv(emulators, scratch, path) });
    },
    control: (nodes, name) => restControl(nodes.find((node) => node.name === name)!),
    populate,
    dumpByNode: async (nodes) => Object.fromEntries(await Promise.all(nodes.map(async (node) => [node.name, await dumpNode(node)] as const))),
    close: killCluster,
  };
}
