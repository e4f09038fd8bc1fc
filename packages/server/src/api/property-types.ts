import { unprocessable } from '../http/errors.ts';
import type { PropertySchema } from '@backup/lsm';
import { isJsonObject, isUuid } from './validation.ts';

/** Weaviate's primitive data types; any other capitalised name is a cross-reference to that class. */
const PRIMITIVE_TYPES = new Set([
  'text',
  'text[]',
  'string',
  'string[]',
  'int',
  'int[]',
  'number',
  'number[]',
  'boolean',
  'boolean[]',
  'date',
  'date[]',
  'uuid',
  'uuid[]',
  'geoCoordinates',
  'phoneNumber',
  'blob',
  'object',
  'object[]',
]);

/** An RFC 3339 timestamp, as Weaviate's `date` type takes it. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `dataType` names a type this server understands. */
export function isKnownDataType(dataType: string): boolean {
  return PRIMITIVE_TYPES.has(dataType) || /^[A-Z][_0-9A-Za-z]*$/.test(dataType);
}

/**
 * Checks one property value against its declared type, with Weaviate's
 * wording. Cross-references, geo, phone and nested objects are only checked
 * for their outer shape.
 */
export function checkPropertyValue(className: string, property: PropertySchema, value: unknown): void {
  if (value === null) return;
  const type = property.dataType[0] ?? '';
  const fail = (expected: string): never => {
    throw unprocessable(`invalid ${expected} property '${property.name}' on class '${className}': got ${JSON.stringify(value)}`);
  };
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) fail(`${type}`);
    for (const item of value as unknown[]) checkScalar(type.slice(0, -2), item, fail);
    return;
  }
  if (!PRIMITIVE_TYPES.has(type)) {
    // A cross-reference: a list of beacons.
    if (!Array.isArray(value) || !value.every((item) => isJsonObject(item) && typeof item.beacon === 'string')) {
      fail('reference');
    }
    return;
  }
  checkScalar(type, value, fail);
}

function checkScalar(type: string, value: unknown, fail: (expected: string) => never): void {
  switch (type) {
    case 'text':
    case 'string':
    case 'blob':
      if (typeof value !== 'string') fail(type);
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('integer');
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('boolean');
      return;
    case 'date':
      if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) fail('date (RFC 3339)');
      return;
    case 'uuid':
      if (typeof value !== 'string' || !isUuid(value)) fail('uuid');
      return;
    case 'geoCoordinates':
      if (!isJsonObject(value) || typeof value.latitude !== 'number' || typeof value.longitude !== 'number') {
        fail('geoCoordinates');
      }
      return;
    case 'phoneNumber':
    case 'object':
      if (!isJsonObject(value)) fail(type);
      return;
    default:
      return;
  }
}
