import { BackupError, ErrorCode } from '@backup/core';
import type { Collection, PropertySchema } from '@backup/lsm';
import { unprocessable } from '../http/errors.ts';
import type { ApiContext } from './context.ts';
import { checkPropertyValue, RFC3339 } from './property-types.ts';
import { isJsonObject, isUuid, PROPERTY_NAME, type JsonObject } from './validation.ts';

/**
 * Checks an object's properties against its class. A property the schema does
 * not know is added with an inferred type when `autoSchema` is on (Weaviate's
 * default), else refused with 422, as Weaviate does with auto-schema off.
 */
export async function checkObjectProperties(
  collection: Collection,
  properties: JsonObject,
  context: Pick<ApiContext, 'autoSchema' | 'propertyAdded'>,
): Promise<void> {
  for (const [name, value] of Object.entries(properties)) {
    let property = findProperty(collection, name);
    if (property === undefined) {
      if (value === null) continue;
      if (!context.autoSchema) {
        throw unprocessable(`invalid object: no such prop with name '${name}' found in class '${collection.name}' in the schema`);
      }
      property = await addInferredProperty(collection, name, value);
      await context.propertyAdded?.(collection.name, property);
    }
    checkPropertyValue(collection.name, property, value);
  }
}

function findProperty(collection: Collection, name: string): PropertySchema | undefined {
  return collection.schema.properties?.find((property) => property.name === name);
}

async function addInferredProperty(collection: Collection, name: string, value: unknown): Promise<PropertySchema> {
  if (!PROPERTY_NAME.test(name)) throw unprocessable(`'${name}' is not a valid property name`);
  const property: PropertySchema = { name, dataType: [inferDataType(collection.name, name, value)] };
  try {
    await collection.addProperty(property);
  } catch (error) {
    // A concurrent write may have added it first: use whatever won.
    if (!BackupError.is(error, ErrorCode.ALREADY_EXISTS)) throw error;
  }
  const added = findProperty(collection, name);
  if (added === undefined) {
    throw unprocessable(`property '${name}' of class '${collection.name}' clashes with an existing property of another letter case`);
  }
  return added;
}

/** Weaviate's auto-schema inference (numbers become `number`, as its default AUTOSCHEMA_DEFAULT_NUMBER). */
function inferDataType(className: string, name: string, value: unknown): string {
  const scalar = (item: unknown): string | undefined => {
    if (typeof item === 'string') {
      if (RFC3339.test(item) && !Number.isNaN(Date.parse(item))) return 'date';
      if (isUuid(item)) return 'uuid';
      return 'text';
    }
    if (typeof item === 'number') return 'number';
    if (typeof item === 'boolean') return 'boolean';
    return undefined;
  };
  if (Array.isArray(value)) {
    const first = value[0];
    const type = scalar(first);
    if (type !== undefined) return `${type}[]`;
    if (isJsonObject(first) && typeof first.beacon !== 'string') return 'object[]';
  } else {
    const type = scalar(value);
    if (type !== undefined) return type;
    if (isJsonObject(value)) {
      if (typeof value.latitude === 'number' && typeof value.longitude === 'number') return 'geoCoordinates';
      if (typeof value.input === 'string') return 'phoneNumber';
      return 'object';
    }
  }
  throw unprocessable(`cannot infer the type of property '${name}' on class '${className}' from ${JSON.stringify(value)}: add it to the schema first`);
}
