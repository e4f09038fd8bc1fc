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

/** The descriptor of a new, empty collection. */
export function newDescriptor(schema: CollectionSchema): CollectionDescriptor {
  const multiTenant = schema.multiTenancyConfig?.enabled === true;
  const count = schema.shardingConfig?.desiredCount ?? 1;
  const shards = multiTenant ? [] : Array.from({ length: count }, (_, i) => `shard-${i}`);
  return { formatVersion: FORMAT_VERSION, schema, shards, tenants: [] };
}

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
  return { formatVersion: FORMAT_VERSION, schema, shards, tenants: tenants.map((t) => ({ name: t.name, activityStatus: t.activityStatus })) };
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
