import type { CollectionSchema, PropertySchema } from '@backup/lsm';
import { isJsonObject, type JsonObject } from './validation.ts';

/**
 * Weaviate's defaults for the settings of a class (as a Weaviate 1.32 node
 * answers `GET /v1/schema/{class}` for a class created without them). The
 * clients' `config.get()` require these blocks (Python v4 reads e.g.
 * `invertedIndexConfig.bm25.b`, TS v3 refuses a class without
 * `shardingConfig.virtualPerPhysical`). This server keeps no indexes, so the
 * values describe, they do not configure.
 */
const INVERTED_INDEX: JsonObject = {
  bm25: { b: 0.75, k1: 1.2 },
  cleanupIntervalSeconds: 60,
  stopwords: { additions: null, preset: 'en', removals: null },
  usingBlockMaxWAND: true,
};

const VECTOR_INDEX_HNSW: JsonObject = {
  bq: { enabled: false },
  cleanupIntervalSeconds: 300,
  distance: 'cosine',
  dynamicEfFactor: 8,
  dynamicEfMax: 500,
  dynamicEfMin: 100,
  ef: -1,
  efConstruction: 128,
  filterStrategy: 'sweeping',
  flatSearchCutoff: 40000,
  maxConnections: 32,
  multivector: { aggregation: 'maxSim', enabled: false },
  pq: {
    bitCompression: false,
    centroids: 256,
    enabled: false,
    encoder: { distribution: 'log-normal', type: 'kmeans' },
    segments: 0,
    trainingLimit: 100000,
  },
  rq: { bits: 8, enabled: false, rescoreLimit: 20 },
  skip: false,
  sq: { enabled: false, rescoreLimit: 20, trainingLimit: 100000 },
  vectorCacheMaxObjects: 1000000000000,
};

const REPLICATION: JsonObject = { asyncEnabled: false, deletionStrategy: 'NoAutomatedResolution', factor: 1 };
const MULTI_TENANCY: JsonObject = { autoTenantActivation: false, autoTenantCreation: false, enabled: false };
const VIRTUAL_PER_PHYSICAL = 128;

/** `schema` with every setting Weaviate shows filled in where absent; given values win, nothing is removed. */
export function withWeaviateDefaults(schema: CollectionSchema): CollectionSchema {
  const input = schema as CollectionSchema & JsonObject;
  const vectorIndexType = typeof input.vectorIndexType === 'string' ? input.vectorIndexType : 'hnsw';
  return {
    ...input,
    invertedIndexConfig: merge(INVERTED_INDEX, input.invertedIndexConfig),
    multiTenancyConfig: merge(MULTI_TENANCY, input.multiTenancyConfig),
    properties: (schema.properties ?? []).map(propertyWithDefaults),
    replicationConfig: merge(REPLICATION, input.replicationConfig),
    shardingConfig: shardingWithDefaults(input.shardingConfig),
    vectorIndexConfig: vectorIndexType === 'hnsw' ? merge(VECTOR_INDEX_HNSW, input.vectorIndexConfig) : (input.vectorIndexConfig ?? {}),
    vectorIndexType,
    vectorizer: input.vectorizer ?? 'none',
    ...(isJsonObject(input.vectorConfig) ? { vectorConfig: namedVectorsWithDefaults(input.vectorConfig) } : {}),
  } as CollectionSchema;
}

/** Named vectors (`vectorConfig`, as Python v4 creates a collection's `default` vector): each gets its index settings. */
function namedVectorsWithDefaults(vectorConfig: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(vectorConfig)) {
    const vector = isJsonObject(value) ? value : {};
    const type = typeof vector.vectorIndexType === 'string' ? vector.vectorIndexType : 'hnsw';
    out[name] = {
      vectorizer: { none: {} },
      ...vector,
      vectorIndexType: type,
      vectorIndexConfig: type === 'hnsw' ? merge(VECTOR_INDEX_HNSW, vector.vectorIndexConfig) : (vector.vectorIndexConfig ?? {}),
    };
  }
  return out;
}

function shardingWithDefaults(value: unknown): JsonObject {
  const given = isJsonObject(value) ? value : {};
  const desired = typeof given.desiredCount === 'number' ? given.desiredCount : 1;
  return merge(
    {
      actualCount: desired,
      actualVirtualCount: desired * VIRTUAL_PER_PHYSICAL,
      desiredCount: desired,
      desiredVirtualCount: desired * VIRTUAL_PER_PHYSICAL,
      function: 'murmur3',
      key: '_id',
      strategy: 'hash',
      virtualPerPhysical: VIRTUAL_PER_PHYSICAL,
    },
    given,
  );
}

/** A property's index flags as Weaviate defaults them: text is searchable with word tokenization; everything is filterable. */
function propertyWithDefaults(property: PropertySchema): PropertySchema {
  const input = property as PropertySchema & JsonObject;
  const type = property.dataType[0] ?? '';
  const text = type === 'text' || type === 'text[]' || type === 'string' || type === 'string[]';
  const nested = Array.isArray(input.nestedProperties) ? { nestedProperties: (input.nestedProperties as PropertySchema[]).map(propertyWithDefaults) } : {};
  return {
    indexFilterable: true,
    indexRangeFilters: false,
    indexSearchable: text,
    ...(text ? { tokenization: 'word' } : {}),
    ...input,
    ...nested,
  } as PropertySchema;
}

/** `defaults` deep-merged under `given` (given values win; objects merge key by key). */
function merge(defaults: JsonObject, given: unknown): JsonObject {
  if (!isJsonObject(given)) return structuredClone(defaults);
  const out: JsonObject = { ...structuredClone(defaults) };
  for (const [key, value] of Object.entries(given)) {
    out[key] = isJsonObject(value) && isJsonObject(defaults[key]) ? merge(defaults[key] as JsonObject, value) : value;
  }
  return out;
}
