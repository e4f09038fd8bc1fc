import type { Collection, StoredObject } from '@backup/lsm';
import { type HttpError, missingResource, unprocessable } from '../http/errors.ts';
import type { RouteRequest, Router } from '@backup/core';
import { requireCollection, type ApiContext } from './context.ts';
import { checkObjectProperties } from './object-properties.ts';
import { includesVector, objectJson, parseObjectWrite, putObject, tenantErrors, tenantOption, writeObject } from './object-write.ts';
import { checkClassName, checkUuid, integerParam, requireObjectBody } from './validation.ts';

/** Weaviate's QUERY_DEFAULTS_LIMIT and QUERY_MAXIMUM_RESULTS. */
export const DEFAULT_LIST_LIMIT = 25;
export const MAX_LIST_RESULTS = 10_000;
/** Page size used to skip `offset` objects without holding them all. */
const SKIP_PAGE = 1000;

/** `POST|GET /objects` and `GET|HEAD|PUT|PATCH|DELETE /objects/{class}/{id}`. */
export function registerObjectRoutes(router: Router, context: ApiContext): void {
  router.add('POST', '/objects', async ({ body }) => {
    const write = parseObjectWrite(requireObjectBody(body, 'an object {class, properties, ...}'));
    const stored = await writeObject(context, write, 'create');
    return { status: 200, body: objectJson(write.className, stored, true) };
  });

  router.add('GET', '/objects', (request) => listObjects(context, request));

  router.add('GET', '/objects/{class}/{id}', async ({ params, query }) => {
    const { collection, id } = target(context, params);
    const tenant = query.get('tenant') ?? undefined;
    const object = await tenantErrors(() => collection.get(id, tenantOption(tenant)));
    if (object === undefined) throw missing(collection, id);
    return { status: 200, body: objectJson(collection.name, object, includesVector(query)) };
  });

  router.add('HEAD', '/objects/{class}/{id}', async ({ params, query }) => {
    const { collection, id } = target(context, params);
    const exists = await tenantErrors(() => collection.exists(id, tenantOption(query.get('tenant') ?? undefined)));
    if (!exists) throw missing(collection, id);
    return { status: 204 };
  });

  // Replaces the object: properties and vector as given, creation time kept.
  router.add('PUT', '/objects/{class}/{id}', async ({ params, query, body }) => {
    const { collection, id } = target(context, params);
    const input = requireObjectBody(body, 'an object {class, properties, ...}');
    const write = parseObjectWrite({ ...input, class: input.class ?? collection.name, id: input.id ?? id, tenant: input.tenant ?? query.get('tenant') });
    matchesPath(write.className, write.id, collection, id);
    const stored = await tenantErrors(async () => {
      const existing = await collection.get(id, tenantOption(write.tenant));
      if (existing === undefined) throw missing(collection, id);
      await checkObjectProperties(collection, write.properties, context);
      return await putObject(collection, write, existing.creationTimeUnix);
    });
    return { status: 200, body: objectJson(collection.name, stored, true) };
  });

  // Merges the given properties into the stored ones; the vector changes only when given.
  router.add('PATCH', '/objects/{class}/{id}', async ({ params, query, body }) => {
    const { collection, id } = target(context, params);
    const input = requireObjectBody(body, 'an object {properties, ...}');
    const write = parseObjectWrite({ ...input, class: input.class ?? collection.name, id: input.id ?? id, tenant: input.tenant ?? query.get('tenant') });
    matchesPath(write.className, write.id, collection, id);
    await tenantErrors(async () => {
      const existing = await collection.get(id, tenantOption(write.tenant));
      if (existing === undefined) throw missing(collection, id);
      await checkObjectProperties(collection, write.properties, context);
      const properties = { ...existing.properties, ...write.properties };
      await putObject(collection, { ...write, properties, vector: write.vector ?? existing.vector }, existing.creationTimeUnix);
    });
    return { status: 204 };
  });

  router.add('DELETE', '/objects/{class}/{id}', async ({ params, query }) => {
    const { collection, id } = target(context, params);
    const existed = await tenantErrors(() => collection.delete(id, tenantOption(query.get('tenant') ?? undefined)));
    if (!existed) throw missing(collection, id);
    return { status: 204 };
  });
}

function target(context: ApiContext, params: Readonly<Record<string, string>>): { collection: Collection; id: string } {
  const collection = requireCollection(context, checkClassName(params.class));
  return { collection, id: checkUuid(params.id) };
}

function matchesPath(className: string, id: string, collection: Collection, pathId: string): void {
  if (className !== collection.name) throw unprocessable(`class '${className}' in the body does not match '${collection.name}' in the path`);
  if (id !== pathId) throw unprocessable(`id '${id}' in the body does not match '${pathId}' in the path`);
}

function missing(collection: Collection, id: string): HttpError {
  return missingResource(`object ${id} of class '${collection.name}' not found`);
}

/**
 * `GET /objects?class=&limit=&after=&offset=&tenant=&include=`. `after` pages
 * by id (cursor); `offset` skips; `totalResults` is the size of this page, as
 * in Weaviate. Without `class`, lists the single-tenant collections in turn
 * (with `tenant`, the active tenant's objects of every multi-tenant collection).
 */
async function listObjects(context: ApiContext, { query }: RouteRequest) {
  const className = query.get('class') ?? undefined;
  const limit = integerParam(query, 'limit', DEFAULT_LIST_LIMIT, MAX_LIST_RESULTS);
  const offset = integerParam(query, 'offset', 0);
  const after = query.get('after') ?? undefined;
  const tenant = query.get('tenant') ?? undefined;
  if (after !== undefined) {
    if (className === undefined) throw unprocessable("'after' needs 'class': cursor paging works on one class");
    if (offset > 0) throw unprocessable("'after' cannot be combined with 'offset'");
    checkUuid(after, 'after');
  }
  if (offset + limit > MAX_LIST_RESULTS) {
    throw unprocessable(`offset + limit must not exceed ${MAX_LIST_RESULTS}; use 'after' to page further`);
  }
  const withVector = includesVector(query);
  // Without a class: the single-tenant collections, or with `tenant` the multi-tenant ones that have it.
  const collections =
    className !== undefined
      ? [requireCollection(context, checkClassName(className))]
      : (await context.store.listCollections())
          .filter((description) =>
            tenant === undefined
              ? !description.multiTenant
              : description.multiTenant &&
                description.shards.some((shard) => shard.name === tenant && shard.status === 'HOT' && shard.node === context.store.nodeName),
          )
          .map((description) => context.store.getCollection(description.name))
          .filter((collection): collection is Collection => collection !== undefined);

  const objects: unknown[] = [];
  let skip = offset;
  for (const collection of collections) {
    if (objects.length >= limit) break;
    let cursor = after?.toLowerCase();
    const options = tenantOption(tenant);
    while (objects.length < limit) {
      const want = skip > 0 ? Math.min(skip, SKIP_PAGE) : limit - objects.length;
      const page: StoredObject[] = await tenantErrors(() =>
        // Vectors are read only when the answer shows them (`include=vector`).
        collection.scan({ ...options, limit: want, vectors: withVector && skip === 0, ...(cursor !== undefined ? { after: cursor } : {}) }),
      );
      if (page.length === 0) break;
      cursor = page[page.length - 1]!.id;
      if (skip > 0) {
        skip -= page.length;
        continue;
      }
      for (const object of page) objects.push(objectJson(collection.name, object, withVector));
      if (page.length < want) break;
    }
  }
  return { status: 200, body: { objects, totalResults: objects.length, deprecations: null } };
}
