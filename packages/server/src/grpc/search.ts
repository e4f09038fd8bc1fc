import type { Collection, StoredObject } from '@backup/lsm';
import { requireCollection, type ApiContext } from '../api/context.ts';
import { tenantErrors, tenantOption } from '../api/object-write.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_RESULTS } from '../api/objects.ts';
import { checkClassName, checkUuid } from '../api/validation.ts';
import { invalidArgument, unimplemented } from './status.ts';
import { float32Bytes, propertiesMessage, schemasByName } from './values.ts';
import type { Message } from './message.ts';

/** Page size used to skip `offset` objects without holding them all. */
const SKIP_PAGE = 1000;

/** Searches this server cannot run: answered UNIMPLEMENTED, never run as a plain fetch. */
const SEARCH_KINDS = [
  'group_by',
  'hybrid_search',
  'bm25_search',
  'near_vector',
  'near_object',
  'near_text',
  'near_image',
  'near_audio',
  'near_video',
  'near_depth',
  'near_thermal',
  'near_imu',
  'generative',
  'rerank',
  'boost',
] as const;

/**
 * `weaviate.v1.Weaviate/Search` as a fetch: objects of a collection in id
 * order with `limit`/`offset`/`after`, or the objects whose id a filter names
 * (`_id` equal / contains-any, as `fetch_object_by_id` sends it), with the
 * requested properties and metadata (id, times, vector).
 */
export async function search(context: ApiContext, request: Message): Promise<Message> {
  const started = performance.now();
  for (const kind of SEARCH_KINDS) {
    if (request[kind] !== undefined && request[kind] !== null) {
      throw unimplemented(`Search: '${kind}' is not supported by this server (it stores objects, it does not search them); fetch objects without it`);
    }
  }
  if ((request.sort_by ?? []).length > 0) throw unimplemented("Search: 'sort_by' is not supported by this server; objects come in id order");
  if ((request.autocut ?? 0) > 0) throw unimplemented("Search: 'autocut' needs a search, which this server does not run");
  if ((request.properties?.ref_properties ?? []).length > 0) throw unimplemented('Search: cross-references are not supported by this server');
  const collection = requireCollection(context, checkClassName(request.collection));
  const tenant = request.tenant === '' ? undefined : (request.tenant as string | undefined);
  const limit = request.limit ?? DEFAULT_LIST_LIMIT;
  const offset = request.offset ?? 0;
  const after = request.after === '' ? undefined : (request.after as string | undefined);
  if (limit > MAX_LIST_RESULTS || offset + limit > MAX_LIST_RESULTS) {
    throw invalidArgument(`Search: offset + limit must not exceed ${MAX_LIST_RESULTS}; use 'after' to page further`);
  }
  if (after !== undefined && offset > 0) throw invalidArgument("Search: 'after' cannot be combined with 'offset'");
  const metadata = (request.metadata ?? {}) as Message;
  const wantsVector = metadata.vector === true || ((metadata.vectors ?? []) as string[]).some((name) => name === 'default' || name === '');
  const unknownVectors = ((metadata.vectors ?? []) as string[]).filter((name) => name !== 'default' && name !== '');
  if (unknownVectors.length > 0) throw invalidArgument(`Search: no named vectors ${unknownVectors.join(', ')}: this server keeps one unnamed vector`);

  const ids = request.filters === undefined || request.filters === null ? undefined : idsOfFilter(request.filters);
  const objects =
    ids !== undefined ? await fetchByIds(collection, ids, tenant, offset, limit) : await fetchPage(collection, tenant, offset, limit, after, wantsVector);

  const pick = propertyPicker(request.properties);
  const schemas = schemasByName(collection.schema.properties);
  const results = objects.map((object) => ({
    properties: { target_collection: collection.name, non_ref_props: propertiesMessage(pick(object.properties), schemas), ref_props_requested: false },
    metadata: metadataMessage(object, wantsVector),
  }));
  return { took: (performance.now() - started) / 1000, results };
}

/** The ids an `_id` filter names, as the clients send `fetch_object_by_id` / `Filter.by_id()`. */
function idsOfFilter(filters: Message): string[] {
  const path = filters.target?.property ?? (filters.on ?? []).join('.');
  if (path !== '_id' && path !== 'id') {
    throw unimplemented(`Search: filters are supported on the object id only (got ${path === '' ? 'a compound filter' : `'${path}'`})`);
  }
  if (filters.operator === 'OPERATOR_EQUAL' && filters.value_text !== undefined) return [checkUuid(filters.value_text, 'filter value')];
  if (filters.operator === 'OPERATOR_CONTAINS_ANY' && filters.value_text_array !== undefined) {
    return (filters.value_text_array.values as string[]).map((id) => checkUuid(id, 'filter value'));
  }
  throw unimplemented(`Search: on the id, only equal and contains-any filters are supported (got ${String(filters.operator)})`);
}

async function fetchByIds(collection: Collection, ids: string[], tenant: string | undefined, offset: number, limit: number): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  for (const id of [...new Set(ids.map((id) => id.toLowerCase()))].sort()) {
    const object = await tenantErrors(() => collection.get(id, tenantOption(tenant)));
    if (object !== undefined) found.push(object);
  }
  return found.slice(offset, offset + limit);
}

async function fetchPage(
  collection: Collection,
  tenant: string | undefined,
  offset: number,
  limit: number,
  after: string | undefined,
  vectors: boolean,
): Promise<StoredObject[]> {
  const options = tenantOption(tenant);
  let cursor = after === undefined ? undefined : checkUuid(after, 'after').toLowerCase();
  let skip = offset;
  while (skip > 0) {
    const page = await tenantErrors(() =>
      collection.scan({ ...options, limit: Math.min(skip, SKIP_PAGE), ...(cursor !== undefined ? { after: cursor } : {}) }),
    );
    if (page.length === 0) return [];
    cursor = page[page.length - 1]!.id;
    skip -= page.length;
  }
  if (limit === 0) return [];
  return await tenantErrors(() => collection.scan({ ...options, limit, vectors, ...(cursor !== undefined ? { after: cursor } : {}) }));
}

/** Which properties to return: all (the default, or `return_all_nonref_properties`), else those named. */
function propertyPicker(request: Message | undefined): (properties: Record<string, unknown>) => Record<string, unknown> {
  if (request === undefined || request === null || request.return_all_nonref_properties === true) return (properties) => properties;
  const names = new Set<string>([
    ...((request.non_ref_properties ?? []) as string[]),
    ...((request.object_properties ?? []) as Message[]).map((object) => object.prop_name as string),
  ]);
  return (properties) => Object.fromEntries(Object.entries(properties).filter(([name]) => names.has(name)));
}

function metadataMessage(object: StoredObject, withVector: boolean): Message {
  const vector = withVector && object.vector !== undefined ? float32Bytes(object.vector) : undefined;
  return {
    id: object.id,
    // Newer clients (Python v4) read the id from its 16 bytes.
    id_as_bytes: Buffer.from(object.id.replaceAll('-', ''), 'hex'),
    creation_time_unix: object.creationTimeUnix,
    creation_time_unix_present: true,
    last_update_time_unix: object.lastUpdateTimeUnix,
    last_update_time_unix_present: true,
    ...(vector !== undefined ? { vector_bytes: vector, vectors: [{ name: 'default', vector_bytes: vector, type: 'VECTOR_TYPE_SINGLE_FP32' }] } : {}),
  };
}
