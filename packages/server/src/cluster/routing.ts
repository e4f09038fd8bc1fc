import { randomUUID } from 'node:crypto';
import type { Store } from '@backup/lsm';
import { errorBody, type ApiResponse, type RouteRequest, type Router } from '@backup/core';
import { HttpError } from '../http/errors.ts';
import { MAX_LIST_RESULTS } from '../api/objects.ts';
import { isJsonObject, type JsonObject } from '../api/validation.ts';
import type { Peers } from './peers.ts';

/** What the cluster routes need. */
export interface ClusterRouting {
  readonly self: string;
  readonly store: Store;
  readonly peers: Peers;
  /** The node's own routes, which act on its local store only. */
  readonly local: Router;
}

/**
 * Registers, ahead of the local routes, the routes that make one node of a
 * cluster answer for all of it: object reads and writes go to the node that
 * holds the object's shard, lists and batches are split and merged, schema
 * changes are applied on every node.
 */
export function registerClusterRoutes(router: Router, cluster: ClusterRouting): void {
  const toOwner = async (request: RouteRequest, className: unknown, id: unknown, tenant: unknown): Promise<ApiResponse> => {
    const owner = ownerOf(cluster.store, className, id, tenant) ?? cluster.self;
    if (owner === cluster.self) return runLocal(cluster.local, request);
    return cluster.peers.request(owner, request.method, request.path, { query: request.query, body: request.body });
  };

  router.add('POST', '/objects', async (request) => {
    if (!isJsonObject(request.body)) return runLocal(cluster.local, request);
    // The id decides the node, so it is chosen here rather than where the object lands.
    const body: JsonObject = { ...request.body, id: request.body.id ?? randomUUID() };
    return toOwner({ ...request, body }, body.class, body.id, body.tenant);
  });
  for (const method of ['GET', 'HEAD', 'DELETE']) {
    router.add(method, '/objects/{class}/{id}', (request) =>
      toOwner(request, request.params.class, request.params.id, request.query.get('tenant') ?? undefined),
    );
  }
  for (const method of ['PUT', 'PATCH']) {
    router.add(method, '/objects/{class}/{id}', (request) => {
      const tenant = (isJsonObject(request.body) ? request.body.tenant : undefined) ?? request.query.get('tenant') ?? undefined;
      return toOwner(request, request.params.class, request.params.id, tenant);
    });
  }

  router.add('GET', '/objects', (request) => listObjects(cluster, request));
  router.add('POST', '/batch/objects', (request) => batchObjects(cluster, request));
  router.add('GET', '/nodes', (request) => allNodes(cluster, request));
  router.add('GET', '/nodes/{class}', (request) => allNodes(cluster, request));

  const everywhere = (request: RouteRequest) => onEveryNode(cluster, request);
  router.add('POST', '/schema', everywhere);
  router.add('DELETE', '/schema/{class}', everywhere);
  router.add('POST', '/schema/{class}/properties', everywhere);
  router.add('POST', '/schema/{class}/tenants', everywhere);
  router.add('PUT', '/schema/{class}/tenants', everywhere);
  router.add('DELETE', '/schema/{class}/tenants', everywhere);
}

/** Tenants are placed by name alone: any id finds the tenant's node. */
const ANY_ID = '00000000-0000-0000-0000-000000000000';

/** Runs a request on this node's own routes. */
export async function runLocal(local: Router, request: RouteRequest): Promise<ApiResponse> {
  const match = local.match(request.method, request.path);
  if (match.kind !== 'found') throw new HttpError(404, `no route for /v1${request.path}`);
  return await match.handler({ ...request, params: match.params });
}

/** The node holding object `id` of `className`, or undefined to let this node answer (and refuse bad input). */
function ownerOf(store: Store, className: unknown, id: unknown, tenant: unknown): string | undefined {
  if (typeof className !== 'string' || typeof id !== 'string') return undefined;
  const collection = store.getCollection(className);
  if (collection === undefined) return undefined;
  try {
    return collection.nodeFor(id.toLowerCase(), typeof tenant === 'string' && tenant !== '' ? { tenant } : {});
  } catch {
    return undefined;
  }
}

/**
 * A schema change: refused (503) unless every node is ready, applied here
 * first (which validates it), then on every other node. A node lost between
 * the check and the change is named in a 503; its schema then differs until
 * the change is made again.
 */
async function onEveryNode(cluster: ClusterRouting, request: RouteRequest): Promise<ApiResponse> {
  await cluster.peers.assertAllReady('a schema change');
  const answer = await runLocal(cluster.local, request);
  if (answer.status >= 300) return answer;
  const results = await Promise.allSettled(
    cluster.peers.names.map((node) => cluster.peers.request(node, request.method, request.path, { query: request.query, body: request.body })),
  );
  results.forEach((result, index) => {
    const node = cluster.peers.names[index]!;
    if (result.status === 'rejected')
      throw new HttpError(503, `the schema change was applied here but not on node ${node}: ${(result.reason as Error).message}`);
    if (result.value.status >= 300) {
      throw new HttpError(503, `the schema change was applied here but node ${node} refused it (${result.value.status}): ${messageOf(result.value.body)}`);
    }
  });
  return answer;
}

/** The request on every node (this one through its local routes), in member order. */
async function fanOut(cluster: ClusterRouting, request: RouteRequest): Promise<{ node: string; answer: ApiResponse }[]> {
  const nodes = [cluster.self, ...cluster.peers.names];
  const answers = await Promise.all(
    nodes.map((node) =>
      node === cluster.self
        ? runLocal(cluster.local, request)
        : cluster.peers.request(node, request.method, request.path, { query: request.query, body: request.body }),
    ),
  );
  return nodes.map((node, index) => ({ node, answer: answers[index]! }));
}

/**
 * `GET /objects` across the cluster: each node lists its own objects from the
 * start of the page (`offset + limit` of them), and the pages are merged in
 * the order one node would list them (class name, then id) and cut to size.
 */
async function listObjects(cluster: ClusterRouting, request: RouteRequest): Promise<ApiResponse> {
  const className = request.query.get('class');
  const tenant = request.query.get('tenant');
  if (className !== null && tenant !== null) {
    // One tenant is one shard, on one node: that node answers alone.
    const owner = ownerOf(cluster.store, className, ANY_ID, tenant) ?? cluster.self;
    return owner === cluster.self ? runLocal(cluster.local, request) : cluster.peers.request(owner, 'GET', request.path, { query: request.query });
  }
  const query = new URLSearchParams(request.query);
  const limit = numberParam(query, 'limit', 25);
  const offset = numberParam(query, 'offset', 0);
  // Bad paging is refused by this node's own validation, with its message.
  if (limit === undefined || offset === undefined || (offset > 0 && query.has('after')) || offset + limit > MAX_LIST_RESULTS) {
    return runLocal(cluster.local, request);
  }
  query.set('limit', String(offset + limit));
  query.delete('offset');
  const pages = await fanOut(cluster, { ...request, query });
  const failed = pages.find(({ answer }) => answer.status !== 200);
  if (failed !== undefined) return failed.answer;
  const objects = pages
    .flatMap(({ answer }) => (answer.body as { objects?: JsonObject[] }).objects ?? [])
    .sort((a, b) => compare(String(a.class), String(b.class)) || compare(String(a.id), String(b.id)))
    .slice(offset, offset + limit);
  return { status: 200, body: { objects, totalResults: objects.length, deprecations: null } };
}

/** `POST /batch/objects`: each object goes to its node in one sub-batch per node; results come back in order. */
async function batchObjects(cluster: ClusterRouting, request: RouteRequest): Promise<ApiResponse> {
  const body = request.body;
  if (!isJsonObject(body) || !Array.isArray(body.objects)) return runLocal(cluster.local, request);
  const groups = new Map<string, { index: number; object: unknown }[]>();
  (body.objects as unknown[]).forEach((raw, index) => {
    const object = isJsonObject(raw) ? { ...raw, id: raw.id ?? randomUUID() } : raw;
    const node = (isJsonObject(object) ? ownerOf(cluster.store, object.class, object.id, object.tenant) : undefined) ?? cluster.self;
    if (!groups.has(node)) groups.set(node, []);
    groups.get(node)!.push({ index, object });
  });
  const results = new Array<unknown>(body.objects.length);
  await Promise.all(
    [...groups].map(async ([node, items]) => {
      const sub = { ...request, body: { ...body, objects: items.map((item) => item.object) } };
      let answer: ApiResponse;
      try {
        answer =
          node === cluster.self
            ? await runLocal(cluster.local, sub)
            : await cluster.peers.request(node, 'POST', '/batch/objects', { query: request.query, body: sub.body });
      } catch (error) {
        answer = { status: 503, body: errorBody((error as Error).message) };
      }
      const answered = answer.status === 200 && Array.isArray(answer.body) ? (answer.body as unknown[]) : undefined;
      items.forEach((item, i) => {
        results[item.index] = answered?.[i] ?? {
          ...(isJsonObject(item.object) ? item.object : {}),
          result: { errors: errorBody(`node ${node} could not write the object (${answer.status}): ${messageOf(answer.body)}`) },
        };
      });
    }),
  );
  return { status: 200, body: results };
}

/** `GET /nodes[/{class}]`: every node's own entry; a node that does not answer is shown UNAVAILABLE. */
async function allNodes(cluster: ClusterRouting, request: RouteRequest): Promise<ApiResponse> {
  const local = await runLocal(cluster.local, request);
  if (local.status !== 200) return local;
  const others = await Promise.all(
    cluster.peers.names.map(async (node) => {
      try {
        const answer = await cluster.peers.request(node, request.method, request.path, { query: request.query });
        if (answer.status === 200) return (answer.body as { nodes: unknown[] }).nodes;
      } catch {
        // shown below
      }
      return [{ name: node, status: 'UNAVAILABLE' }];
    }),
  );
  return { status: 200, body: { nodes: [...(local.body as { nodes: unknown[] }).nodes, ...others.flat()] } };
}

function numberParam(query: URLSearchParams, name: string, fallback: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** The stores' order: ids and names compare as UTF-8 bytes, which for these ASCII strings is code-unit order. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function messageOf(body: unknown): string {
  const message = (body as { error?: { message?: unknown }[] } | undefined)?.error?.[0]?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}
