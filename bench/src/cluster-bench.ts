/**
 * A 3-node cluster against one node holding the same data: backup and
 * restore time through the real servers (three `backup-server` processes
 * joined by `CLUSTER_JOIN`, and one alone), to MinIO, with a light write load
 * on every node during the cluster's backups; the writer stall of every
 * node's shard snapshots as its `backup.json` records it.
 *
 * On one machine the three nodes share its cores, so "the slowest node
 * alone" is one node holding the whole data set on the same machine: the
 * cluster must not be slower than it plus 1 s of coordination.
 */
import { randomBytes } from 'node:crypto';
import { S3Provider } from '@backup/provider-s3';
import { createMinioBuckets, startMinio, type RunningMinio } from '@backup/test-emulators/minio';
import { call, waitFor } from './backup-api-client.ts';
import { freePorts } from '@backup/test-emulators/free-ports';
import { type ServerProcess, startServerProcess } from './server-process.ts';

export const CLUSTER_TARGETS = { coordinationSeconds: 1, stallMs: 20 } as const;
const NODES = ['node1', 'node2', 'node3'];
const BUCKET = 'bench-cluster';
const CLASS = 'ClusterBench';
const OBJECT_BYTES = 64 * 1024;
const WRITE_INTERVAL_MS = 20;

export interface ClusterBenchOptions {
  /** Bytes of object data in the class (spread over the nodes, or all on the single node). */
  readonly bytes: number;
  readonly rounds: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface ClusterRunFigures {
  /** Best of the rounds, seconds from the request to SUCCESS seen by polling. */
  readonly single: number;
  readonly cluster: number;
  /** cluster − single: what coordinating three nodes costs (negative: the cluster was faster). */
  readonly overheadSeconds: number;
  readonly pass: boolean;
}

export interface ClusterFigures {
  readonly available: true;
  readonly nodes: number;
  readonly bytes: number;
  readonly objects: number;
  readonly rounds: number;
  readonly backup: ClusterRunFigures;
  readonly restore: ClusterRunFigures;
  /** Per node: the largest writer stall of its shard snapshots (from its backup.json), and the slowest write a client saw during the backup. */
  readonly stall: { node: string; maxStallMs: number; maxWriteMs: number; writes: number; errors: number }[];
  readonly stallTargetMs: number;
  readonly stallPass: boolean;
  readonly coordinationTargetSeconds: number;
}

export type ClusterResult = ClusterFigures | { readonly available: false; readonly reason: string };

interface Node {
  readonly name: string;
  readonly server: ServerProcess;
}

export async function measureCluster(options: ClusterBenchOptions): Promise<ClusterResult> {
  const { log } = options;
  let minio: RunningMinio;
  try {
    minio = await startMinio();
    await createMinioBuckets(minio, BUCKET);
  } catch (error) {
    return { available: false, reason: `MinIO could not start: ${(error as Error).message}` };
  }
  const running: ServerProcess[] = [];
  const start = async (names: readonly string[], prefix: string): Promise<Node[]> => {
    const ports = await freePorts(names.length);
    const join = names.length > 1 ? names.map((name, i) => `${name}=http://127.0.0.1:${ports[i]}`).join(',') : '';
    const nodes = await Promise.all(
      names.map(async (name, i) => {
        const server = await startServerProcess({
          dataPath: `${workRoot}/${prefix}-${name}`,
          backupPath: `${workRoot}/unused`,
          port: ports[i]!,
          env: {
            ENABLE_MODULES: 'backup-s3',
            BACKUP_S3_BUCKET: BUCKET,
            BACKUP_S3_PATH: prefix,
            BACKUP_S3_ENDPOINT: new URL(minio.endpoint).host,
            BACKUP_S3_USE_SSL: 'false',
            AWS_ACCESS_KEY_ID: minio.accessKeyId,
            AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
            AWS_REGION: minio.region,
            CLUSTER_HOSTNAME: name,
            ...(join !== '' ? { CLUSTER_JOIN: join, CLUSTER_SECRET: 'bench-cluster-secret' } : {}),
          },
          log: (line) => log(`  ${name}: ${line}`),
        });
        running.push(server);
        return { name, server };
      }),
    );
    return nodes;
  };
  const workRoot = `/dev/shm/backup-bench-cluster-${process.pid}`;
  const provider = new S3Provider({
    bucket: BUCKET,
    endpoint: new URL(minio.endpoint).host,
    useSSL: false,
    region: minio.region,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
  });
  try {
    const objects = Math.max(NODES.length * 4, Math.round(options.bytes / OBJECT_BYTES));
    log(`  ${objects} objects of ${OBJECT_BYTES / 1024} KiB on a 3-node cluster and on one node`);
    const [single, cluster] = [await start(['node1'], 'single'), await start(NODES, 'cluster')];
    for (const nodes of [single, cluster]) {
      await call(nodes[0]!.server.url, 'POST', '/v1/schema', { class: CLASS, shardingConfig: { desiredCount: NODES.length } });
      await fill(nodes, objects);
    }
    const backups = { single: [] as number[], cluster: [] as number[] };
    const restores = { single: [] as number[], cluster: [] as number[] };
    let stall: ClusterFigures['stall'] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Alternate which side goes first, so neither always meets a warmer machine.
      const order = round % 2 === 0 ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const);
      for (const side of order) {
        const nodes = side === 'single' ? single : cluster;
        const id = `bench-${side}-${round}-${randomBytes(3).toString('hex')}`;
        const load = side === 'cluster' ? writeLoad(nodes, round, log) : undefined;
        const seconds = await timed(nodes[0]!.server.url, `/v1/backups/s3`, `/v1/backups/s3/${id}`, { id, include: [CLASS] }, options.timeoutMs);
        const writes = await load?.stop();
        backups[side].push(seconds);
        if (side === 'cluster') stall = await stallsOf(provider, side, id, nodes, writes!);
        log(`  round ${round + 1}: ${side} backup ${seconds.toFixed(2)} s`);
        await call(nodes[nodes.length - 1]!.server.url, 'DELETE', `/v1/schema/${CLASS}`);
        const restoreSeconds = await timed(
          nodes[nodes.length - 1]!.server.url,
          `/v1/backups/s3/${id}/restore`,
          `/v1/backups/s3/${id}/restore`,
          {},
          options.timeoutMs,
        );
        restores[side].push(restoreSeconds);
        log(`  round ${round + 1}: ${side} restore ${restoreSeconds.toFixed(2)} s`);
      }
    }
    const figures = (runs: { single: number[]; cluster: number[] }): ClusterRunFigures => {
      const best = { single: Math.min(...runs.single), cluster: Math.min(...runs.cluster) };
      const overheadSeconds = best.cluster - best.single;
      return { ...best, overheadSeconds, pass: overheadSeconds <= CLUSTER_TARGETS.coordinationSeconds };
    };
    return {
      available: true,
      nodes: NODES.length,
      bytes: objects * OBJECT_BYTES,
      objects,
      rounds: options.rounds,
      backup: figures(backups),
      restore: figures(restores),
      stall,
      stallTargetMs: CLUSTER_TARGETS.stallMs,
      stallPass: stall.length === NODES.length && stall.every((node) => node.maxStallMs <= CLUSTER_TARGETS.stallMs),
      coordinationTargetSeconds: CLUSTER_TARGETS.coordinationSeconds,
    };
  } catch (error) {
    return { available: false, reason: `the cluster run failed: ${(error as Error).message}` };
  } finally {
    await Promise.all(running.map((server) => server.stop()));
    await provider.close().catch(() => undefined);
    await minio.stop().catch(() => undefined);
    const { rm } = await import('node:fs/promises');
    await rm(workRoot, { recursive: true, force: true });
  }
}

/** Objects of random (incompressible) text, written in batches through the first node. */
async function fill(nodes: readonly Node[], count: number): Promise<void> {
  const perBatch = 64;
  for (let first = 0; first < count; first += perBatch) {
    const objects = Array.from({ length: Math.min(perBatch, count - first) }, (_, i) => ({
      class: CLASS,
      id: uuid(0xbe, first + i),
      properties: { body: randomBytes((OBJECT_BYTES * 3) / 4).toString('base64') },
    }));
    const results = (await call(nodes[(first / perBatch) % nodes.length]!.server.url, 'POST', '/v1/batch/objects', { objects })) as { result: object }[];
    const failed = results.find((entry) => Object.keys(entry.result).length > 0);
    if (failed) throw new Error(`writing the data set failed: ${JSON.stringify(failed.result)}`);
  }
}

/** One small write every WRITE_INTERVAL_MS on every node, each node's latencies kept; `round` keeps ids apart. */
function writeLoad(nodes: readonly Node[], round: number, log: (line: string) => void) {
  let stopped = false;
  let n = 0;
  const figures = new Map(nodes.map((node) => [node.name, { maxWriteMs: 0, writes: 0, errors: 0 }]));
  const loops = nodes.map(async (node) => {
    const stats = figures.get(node.name)!;
    while (!stopped) {
      const started = performance.now();
      try {
        await call(node.server.url, 'POST', '/v1/objects', { class: CLASS, id: uuid(0x10ad0000 + round, n++), properties: { body: 'w' } });
        stats.writes++;
        stats.maxWriteMs = Math.max(stats.maxWriteMs, performance.now() - started);
      } catch (error) {
        stats.errors++;
        if (stats.errors === 1) log(`  a write to ${node.name} failed: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, WRITE_INTERVAL_MS));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return figures;
    },
  };
}

async function stallsOf(
  provider: S3Provider,
  prefix: string,
  id: string,
  nodes: readonly Node[],
  writes: Map<string, { maxWriteMs: number; writes: number; errors: number }>,
): Promise<ClusterFigures['stall']> {
  return await Promise.all(
    nodes.map(async (node) => {
      const descriptor = JSON.parse((await provider.get(`${id}/${node.name}/backup.json`, { location: { path: prefix } })).toString('utf8')) as {
        collections: { shards: { writerStallMs: number }[] }[];
      };
      const maxStallMs = Math.max(0, ...descriptor.collections.flatMap((collection) => collection.shards.map((shard) => shard.writerStallMs)));
      return { node: node.name, maxStallMs, ...writes.get(node.name)! };
    }),
  );
}

async function timed(url: string, route: string, statusRoute: string, body: unknown, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await call(url, 'POST', route, body);
  await waitFor(url, statusRoute, timeoutMs - (performance.now() - started), route);
  return (performance.now() - started) / 1000;
}

function uuid(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
