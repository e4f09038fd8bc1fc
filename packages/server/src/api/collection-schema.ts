import type { CollectionSchema, PropertySchema } from '@backup/lsm';
import { unprocessable } from '../http/errors.ts';
import { isKnownDataType } from './property-types.ts';
import { checkClassName, isJsonObject, PROPERTY_NAME, requireObjectBody, type JsonObject } from './validation.ts';

/**
 * Validates a `POST /schema` body and fills in Weaviate's defaults, so that
 * `GET /schema/{class}` (and a backup of it) shows the effective settings.
 * Unknown fields are kept as given.
 */
export function parseCollectionSchema(body: unknown, defaultShardCount = 1): CollectionSchema {
  const input = requireObjectBody(body, 'a class definition {class, properties, ...}');
  const name = checkClassName(input.class);
  const where = `class '${name}'`;

  if (input.description !== undefined && typeof input.description !== 'string') {
    throw unprocessable(`${where}: description must be a string`);
  }
  const vectorizer = input.vectorizer ?? 'none';
  if (vectorizer !== 'none') {
    throw unprocessable(`${where}: vectorizer '${String(vectorizer)}' is not available; this server stores vectors you supply ('none')`);
  }

  if (input.vectorConfig !== undefined && input.vectorConfig !== null) {
    if (!isJsonObject(input.vectorConfig)) throw unprocessable(`${where}: vectorConfig must be an object of named vectors`);
    for (const [name, vector] of Object.entries(input.vectorConfig)) {
      const modules = isJsonObject(vector) && isJsonObject(vector.vectorizer) ? Object.keys(vector.vectorizer) : ['none'];
      if (modules.some((module) => module !== 'none')) {
        throw unprocessable(
          `${where}: vector '${name}' names vectorizer '${modules.join(', ')}', which is not available; this server stores vectors you supply ('none')`,
        );
      }
    }
  }
  const properties = parseProperties(input.properties, where);
  const multiTenancyConfig = parseMultiTenancy(input.multiTenancyConfig, where);
  const shardingConfig = parseSharding(input.shardingConfig, where, multiTenancyConfig.enabled === true, defaultShardCount);

  return {
    ...input,
    class: name,
    properties,
    vectorizer: 'none',
    vectorIndexType: input.vectorIndexType ?? 'hnsw',
    multiTenancyConfig,
    shardingConfig,
    replicationConfig: input.replicationConfig ?? { factor: 1 },
  };
}

function parseProperties(value: unknown, where: string): PropertySchema[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw unprocessable(`${where}: properties must be an array`);
  const seen = new Set<string>();
  return value.map((raw: unknown, index) => {
    if (!isJsonObject(raw)) throw unprocessable(`${where}: property #${index} must be an object`);
    const name = raw.name;
    if (typeof name !== 'string' || !PROPERTY_NAME.test(name)) {
      throw unprocessable(`${where}: '${String(name)}' is not a valid property name`);
    }
    // Weaviate treats property names case-insensitively for uniqueness.
    if (seen.has(name.toLowerCase())) throw unprocessable(`${where}: property '${name}' is defined more than once`);
    seen.add(name.toLowerCase());
    const dataType = raw.dataType;
    if (!Array.isArray(dataType) || dataType.length === 0 || !dataType.every((type) => typeof type === 'string')) {
      throw unprocessable(`${where}: property '${name}' needs a dataType such as ["text"]`);
    }
    for (const type of dataType as string[]) {
      if (!isKnownDataType(type)) throw unprocessable(`${where}: property '${name}' has an unknown dataType '${type}'`);
    }
    if (raw.description !== undefined && typeof raw.description !== 'string') {
      throw unprocessable(`${where}: property '${name}' description must be a string`);
    }
    return { ...raw, name, dataType: dataType as string[] } as PropertySchema;
  });
}

function parseMultiTenancy(value: unknown, where: string): JsonObject {
  if (value === undefined || value === null) return { enabled: false, autoTenantCreation: false, autoTenantActivation: false };
  if (!isJsonObject(value)) throw unprocessable(`${where}: multiTenancyConfig must be an object`);
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean') {
    throw unprocessable(`${where}: multiTenancyConfig.enabled must be true or false`);
  }
  for (const flag of ['autoTenantCreation', 'autoTenantActivation']) {
    if (value[flag] === true) throw unprocessable(`${where}: multiTenancyConfig.${flag} is not supported by this server`);
  }
  return { autoTenantCreation: false, autoTenantActivation: false, ...value, enabled: value.enabled === true };
}

function parseSharding(value: unknown, where: string, multiTenant: boolean, defaultCount: number): JsonObject {
  const fallback = multiTenant ? 1 : defaultCount;
  if (value === undefined || value === null) return { desiredCount: fallback };
  if (!isJsonObject(value)) throw unprocessable(`${where}: shardingConfig must be an object`);
  const desired = value.desiredCount ?? fallback;
  if (typeof desired !== 'number' || !Number.isInteger(desired) || desired < 1) {
    throw unprocessable(`${where}: shardingConfig.desiredCount must be a positive integer`);
  }
  if (multiTenant && desired !== 1) {
    throw unprocessable(`${where}: shardingConfig.desiredCount cannot be set on a multi-tenant class (each tenant is a shard)`);
  }
  return { ...value, desiredCount: desired };
}
