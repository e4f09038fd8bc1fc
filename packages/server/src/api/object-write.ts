import { randomUUID } from 'node:crypto';
import { BackupError, ErrorCode } from '@backup/core';
import type { Collection, StoredObject } from '@backup/lsm';
import { HttpError, unprocessable } from '../http/errors.ts';
import type { ApiContext } from './context.ts';
import { requireCollection } from './context.ts';
import { checkObjectProperties } from './object-properties.ts';
import { checkClassName, checkUuid, isJsonObject, optionalString, type JsonObject } from './validation.ts';

/** A validated object write: `POST /objects`, `PUT`, one batch entry. */
export interface ObjectWrite {
  readonly className: string;
  readonly id: string;
  readonly properties: JsonObject;
  readonly vector: number[] | undefined;
  readonly tenant: string | undefined;
}

/** Parses an object body; `id` is generated when absent. */
export function parseObjectWrite(raw: unknown): ObjectWrite {
  if (!isJsonObject(raw)) throw unprocessable('invalid object: expected a JSON object {class, properties, ...}');
  const className = checkClassName(raw.class);
  const id = raw.id === undefined || raw.id === null ? randomUUID() : checkUuid(raw.id);
  const properties = raw.properties ?? {};
  if (!isJsonObject(properties)) throw unprocessable(`invalid object ${id}: properties must be a JSON object`);
  return { className, id, properties, vector: parseVector(raw.vector, id), tenant: optionalString(raw, 'tenant', `object ${id}`) };
}

function parseVector(value: unknown, id: string): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
    throw unprocessable(`invalid object ${id}: vector must be an array of numbers`);
  }
  return value as number[];
}

/** Weaviate's object JSON. The vector is shown when asked for (`include=vector`) or just written. */
export function objectJson(className: string, object: StoredObject, includeVector: boolean): JsonObject {
  return {
    class: className,
    id: object.id,
    properties: object.properties,
    creationTimeUnix: object.creationTimeUnix,
    lastUpdateTimeUnix: object.lastUpdateTimeUnix,
    ...(object.tenant !== undefined ? { tenant: object.tenant } : {}),
    ...(includeVector && object.vector !== undefined ? { vector: object.vector } : {}),
  };
}

/** Whether `include` (comma-separated, as Weaviate takes it) asks for the vector. */
export function includesVector(query: URLSearchParams): boolean {
  return query
    .getAll('include')
    .flatMap((value) => value.split(','))
    .some((item) => item.trim() === 'vector');
}

/**
 * Stores a validated object. `mode` decides what happens to an existing one:
 * `create` refuses it (422), `upsert` replaces it keeping its creation time.
 */
export async function writeObject(context: ApiContext, write: ObjectWrite, mode: 'create' | 'upsert'): Promise<StoredObject> {
  const collection = requireCollection(context, write.className, 422);
  return await tenantErrors(async () => {
    const existing = await collection.get(write.id, tenantOption(write.tenant));
    if (existing !== undefined && mode === 'create') throw unprocessable(`id '${write.id}' already exists`);
    await checkObjectProperties(collection, write.properties, context);
    return await putObject(collection, write, existing?.creationTimeUnix);
  });
}

/** Writes `write` with explicit timestamps, so that the answer shows what was stored. */
export async function putObject(collection: Collection, write: ObjectWrite, createdAt: number | undefined): Promise<StoredObject> {
  const now = Date.now();
  const stored: StoredObject = {
    id: write.id,
    properties: write.properties,
    creationTimeUnix: createdAt ?? now,
    lastUpdateTimeUnix: now,
    ...(write.vector !== undefined ? { vector: write.vector } : {}),
    ...(write.tenant !== undefined ? { tenant: write.tenant } : {}),
  };
  await collection.put(write.id, stored, tenantOption(write.tenant));
  return stored;
}

export function tenantOption(tenant: string | undefined): { tenant?: string } {
  return tenant === undefined || tenant === '' ? {} : { tenant };
}

/**
 * Runs an object operation, turning the store's tenant refusals into 422 as
 * Weaviate answers them: an unknown tenant (NOT_FOUND), an inactive one (CONFLICT).
 */
export async function tenantErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND) || BackupError.is(error, ErrorCode.CONFLICT)) {
      throw new HttpError(422, error.message, { cause: error });
    }
    throw error;
  }
}
