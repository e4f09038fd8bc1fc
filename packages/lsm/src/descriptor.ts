/**
 * A collection's descriptor (`collection.json`): its schema, shard names and
 * tenant statuses. The same JSON is the `metadata` of a snapshot, so a backup
 * carries everything needed to recreate the collection.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { corrupt, invalid, ioError } from './errors.ts';
import { writeFileAtomic } from './fs-util.ts';
import { COLLECTION_FILE } from './layout.ts';
import type { CollectionSchema, PropertySchema, Tenant, TenantStatus } from './types.ts';

export const COLLECTION_NAME = /^[A-Za-z][_0-9A-Za-z]{0,127}$/;
export const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_SHARDS = 256;
const FORMAT_VERSION = 1;

export interface CollectionDescriptor {
  readonly formatVersion: number;
  readonly schema: CollectionSchema;
  /** Shard names of a single-tenant collection (`shard-0`...); empty when multi-tenant. */
  readonly shards: readonly string[];
  /** Tenants of a multi-tenant collection; empty otherwise. */
  readonly tenants: readonly Tenant[];
  /**
   * The node holding each shard (or tenant), for a store that is one node of
   * a cluster. A shard it does not name is local. Absent on a single node.
   */
  readonly placement?: Readonly<Record<string, string>>;
}

/** Validates a schema and fills in defaults (no properties, one shard, multi-tenancy off). */
export function normalizeSchema(input: unknown): CollectionSchema {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('schema must be a JSON object');
  const schema = input as CollectionSchema;
  if (typeof schema.class !== 'string' || !COLLECTION_NAME.test(schema.class)) {
    throw invalid(`invalid collection name '${String(schema.class)}': a letter, then letters, digits or _`);
  }
  const properties = schema.properties ?? [];
  if (!Array.isArray(properties)) throw invalid('properties must be an array');
  const seen = new Set<string>();
  for (const property of properties as PropertySchema[]) {
    if (property === null || typeof property !== 'object' || typeof property.name !== 'string' || property.name === '') {
      throw invalid('every property needs a name');
    }
    if (!Array.isArray(property.dataType) || property.dataType.some((t) => typeof t !== 'string')) {
      throw invalid(`property '${property.name}' needs a dataType array of strings`);
    }
    if (seen.has(property.name.toLowerCase())) throw invalid(`duplicate property '${property.name}'`);
    seen.add(property.name.toLowerCase());
  }
  const enabled = schema.multiTenancyConfig?.enabled ?? false;
  if (typeof enabled !== 'boolean') throw invalid('multiTenancyConfig.enabled must be a boolean');
  const desiredCount = schema.shardingConfig?.desiredCount ?? 1;
  if (!Number.isInteger(desiredCount) || desiredCount < 1 || desiredCount > MAX_SHARDS) {
    throw invalid(`shardingConfig.desiredCount must be an integer from 1 to ${MAX_SHARDS}`);
  }
  return {
    ...schema,
    properties,
    multiTenancyConfig: { ...schema.multiTenancyConfig, enabled },
    shardingConfig: { ...schema.shardingConfig, desiredCount: enabled ? 1 : desiredCount },
  };
}

/** The descriptor of a new, empty collection; `place` (if any) decides the node of each shard. */
export function newDescriptor(schema: CollectionSchema, place?: PlaceShard): CollectionDescriptor {
  const multiTenant = schema.multiTenancyConfig?.enabled === true;
  const count = schema.shardingConfig?.desiredCount ?? 1;
  const shards = multiTenant ? [] : Array.from({ length: count }, (_, i) => `shard-${i}`);
  const descriptor: CollectionDescriptor = { formatVersion: FORMAT_VERSION, schema, shards, tenants: [] };
  if (place === undefined) return descriptor;
  return { ...descriptor, placement: Object.fromEntries(shards.map((shard, index) => [shard, place({ collection: schema.class, shard, index })])) };
}

/** Decides which node holds a new shard or tenant (see `StoreOptions.placeShard`). */
export type PlaceShard = (shard: { readonly collection: string; readonly shard: string; readonly index?: number }) => string;

export function isMultiTenant(descriptor: CollectionDescriptor): boolean {
  return descriptor.schema.multiTenancyConfig?.enabled === true;
}

/** Validates a descriptor read from disk or handed back as snapshot metadata. */
export function parseDescriptor(value: unknown, where: string): CollectionDescriptor {
  if (value === null || typeof value !== 'object') throw invalid(`${where}: not a collection descriptor`);
  const raw = value as Partial<CollectionDescriptor>;
  if (raw.formatVersion !== FORMAT_VERSION) throw invalid(`${where}: unsupported descriptor version ${String(raw.formatVersion)}`);
  const schema = normalizeSchema(raw.schema);
  const shards = raw.shards ?? [];
  const tenants = raw.tenants ?? [];
  if (!Array.isArray(shards) || !Array.isArray(tenants)) throw invalid(`${where}: shards and tenants must be arrays`);
  const multiTenant = schema.multiTenancyConfig?.enabled === true;
  if (multiTenant) {
    if (shards.length > 0) throw invalid(`${where}: a multi-tenant collection has no fixed shards`);
    for (const tenant of tenants) validateTenant(tenant);
  } else {
    if (tenants.length > 0) throw invalid(`${where}: tenants on a single-tenant collection`);
    if (shards.length !== schema.shardingConfig?.desiredCount) throw invalid(`${where}: shard count does not match the schema`);
    shards.forEach((shard, i) => {
      if (shard !== `shard-${i}`) throw invalid(`${where}: unexpected shard name '${String(shard)}'`);
    });
  }
  const placement = parsePlacement(raw.placement, where);
  return {
    formatVersion: FORMAT_VERSION,
    schema,
    shards,
    tenants: tenants.map((t) => ({ name: t.name, activityStatus: t.activityStatus })),
    ...(placement !== undefined ? { placement } : {}),
  };
}

function parsePlacement(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${where}: placement must be an object`);
  const placement: Record<string, string> = {};
  for (const [shard, node] of Object.entries(value)) {
    if (typeof node !== 'string' || node === '') throw invalid(`${where}: placement of shard '${shard}' must be a node name`);
    placement[shard] = node;
  }
  return placement;
}

/** The descriptor with its placement's node names renamed by `mapping` (old name → new name). */
export function remapPlacement(descriptor: CollectionDescriptor, mapping: Readonly<Record<string, string>> | undefined): CollectionDescriptor {
  if (descriptor.placement === undefined || mapping === undefined) return descriptor;
  const placement = Object.fromEntries(Object.entries(descriptor.placement).map(([shard, node]) => [shard, mapping[node] ?? node]));
  return { ...descriptor, placement };
}

export function validateTenant(tenant: unknown): Tenant {
  const t = tenant as Partial<Tenant> | null;
  if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || !TENANT_NAME.test(t.name)) {
    throw invalid(`invalid tenant name '${String(t?.name)}': 1-64 characters of A-Z a-z 0-9 _ -`);
  }
  const status = t.activityStatus ?? 'HOT';
  if (!isTenantStatus(status)) throw invalid(`invalid activityStatus '${String(status)}' of tenant '${t.name}': HOT, COLD or FROZEN`);
  return { name: t.name, activityStatus: status };
}

export function isTenantStatus(value: unknown): value is TenantStatus {
  return value === 'HOT' || value === 'COLD' || value === 'FROZEN';
}

export async function readDescriptor(dir: string): Promise<CollectionDescriptor> {
  const file = path.join(dir, COLLECTION_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw ioError(error, `read ${file}`);
  }
  try {
    return parseDescriptor(JSON.parse(text), file);
  } catch (error) {
    throw corrupt(`${file} is not a valid collection descriptor`, error);
  }
}

export async function writeDescriptor(dir: string, descriptor: CollectionDescriptor): Promise<void> {
  const file = path.join(dir, COLLECTION_FILE);
  try {
    await writeFileAtomic(file, `${JSON.stringify(descriptor, null, 2)}\n`);
  } catch (error) {
    throw ioError(error, `write ${file}`);
  }
}
