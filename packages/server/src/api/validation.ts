import { badRequest, unprocessable } from '../http/errors.ts';

/** Weaviate's class name rule: an upper-case letter, then letters, digits or `_`. */
export const CLASS_NAME = /^[A-Z][_0-9A-Za-z]*$/;
/** Weaviate's property name rule. */
export const PROPERTY_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request body as a JSON object, or 422 naming what was expected. */
export function requireObjectBody(body: unknown, what: string): JsonObject {
  if (body === undefined) throw unprocessable(`request body is required: expected ${what}`);
  if (!isJsonObject(body)) throw unprocessable(`request body must be a JSON object (${what})`);
  return body;
}

/** The request body as a JSON array, or 422. */
export function requireArrayBody(body: unknown, what: string): unknown[] {
  if (!Array.isArray(body)) throw unprocessable(`request body must be a JSON array of ${what}`);
  return body;
}

export function checkClassName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw unprocessable('class name is required');
  if (!CLASS_NAME.test(name) || name.length > 255) {
    throw unprocessable(`'${name}' is not a valid class name: it must start with an upper-case letter and contain only letters, digits and _`);
  }
  return name;
}

/** A UUID, lower-cased so that lookups do not depend on the caller's casing. */
export function checkUuid(id: unknown, where = 'id'): string {
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw unprocessable(`${where} '${String(id)}' is not a valid uuid`);
  }
  return id.toLowerCase();
}

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** A non-negative integer query parameter, or `fallback` when absent. 400 for anything else. */
export function integerParam(query: URLSearchParams, name: string, fallback: number, max?: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`query parameter '${name}' must be a non-negative integer, got '${raw}'`);
  const value = Number(raw);
  return max !== undefined ? Math.min(value, max) : value;
}

/** An optional string field of a body, or 422 when it has another type. */
export function optionalString(object: JsonObject, field: string, where: string): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw unprocessable(`${where}: '${field}' must be a string`);
  return value;
}
