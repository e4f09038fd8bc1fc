/** What the cluster tests share: owners of objects, writers, waiting on backup statuses. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Answer, ClusterNode } from './cluster-processes.ts';

export function scratchRoot(name: string): string {
  return mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), `cluster-${name}-`));
}

/**
 * The node that holds object `id` of a class with one shard per node (the
 * default on a cluster): shard `crc32(id) mod n` sits on the `i mod n`-th
 * node by name. Computed independently of the server, so the test can fail.
 */
export function ownerOf(id: string, nodes: readonly string[]): string {
  const sorted = [...nodes].sort();
  return sorted[crc32(Buffer.from(id.toLowerCase(), 'utf8')) % sorted.length]!;
}

export function objectId(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Writers sending objects to every node in turn until stopped; `acknowledged` lists the ids in the order they were acknowledged. */
export function startWriters(nodes: readonly ClusterNode[], className: string, prefix: number) {
  let stopped = false;
  const acknowledged: { id: string }[] = [];
  const failures: string[] = [];
  let n = 0;
  const loops = nodes.map(async (node) => {
    while (!stopped) {
      const id = objectId(prefix, n++);
      const answer = await node.call('POST', '/objects', { class: className, id, properties: { title: `w${n}` } }).catch((error: Error) => ({
        status: 0,
        body: error.message,
      }));
      if (answer.status === 200) acknowledged.push({ id });
      else failures.push(`${node.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  });
  return {
    acknowledged,
    failures,
    /** Waits until at least `count` writes were acknowledged. */
    async until(count: number, deadlineMs = 30_000): Promise<void> {
      const deadline = Date.now() + deadlineMs;
      while (acknowledged.length < count) {
        if (Date.now() > deadline) throw new Error(`writers got only ${acknowledged.length} acknowledgements: ${failures.slice(0, 3).join('; ')}`);
        await sleep(10);
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const FINAL = new Set(['SUCCESS', 'FAILED', 'CANCELED']);

/** Polls a backup's (or restore's) status on `node` until it is final or the deadline passes. */
export async function finalStatus(node: ClusterNode, path: string, deadlineMs = 60_000): Promise<Answer> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await node.call('GET', path);
    if (answer.status === 200 && FINAL.has(answer.body.status)) return answer;
    if (Date.now() > deadline) throw new Error(`${path} on ${node.name} still ${JSON.stringify(answer.body)} after ${deadlineMs} ms`);
    await sleep(50);
  }
}

/** Polls until `predicate` holds for the status, e.g. the backup reached TRANSFERRING. */
export async function statusWhere(node: ClusterNode, path: string, predicate: (status: string) => boolean, deadlineMs = 60_000): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await node.call('GET', path).catch(() => undefined);
    const status = answer?.body?.status as string | undefined;
    if (status !== undefined && predicate(status)) return status;
    if (Date.now() > deadline) throw new Error(`${path} on ${node.name} never matched: last ${JSON.stringify(answer?.body)}`);
    await sleep(10);
  }
}

/** Every id one node's own store holds of `className` (its local-only list). */
export async function localIds(node: ClusterNode, className: string, tenant?: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ class: className, limit: '1000', ...(after ? { after } : {}), ...(tenant ? { tenant } : {}) });
    const answer = await node.local('GET', `/objects?${query}`);
    if (answer.status !== 200) throw new Error(`local list on ${node.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    const page = answer.body.objects as { id: string }[];
    ids.push(...page.map((object) => object.id));
    if (page.length < 1000) return ids;
    after = page[page.length - 1]!.id;
  }
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
