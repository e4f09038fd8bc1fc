import type { PropertySchema } from '@backup/lsm';
import type { JsonObject } from '../api/validation.ts';
import type { Message } from './message.ts';

/**
 * Conversions between the JSON properties the store keeps and Weaviate's
 * gRPC shapes: `google.protobuf.Struct` plus typed arrays on the way in
 * (BatchObjects), the typed `Properties`/`Value` map on the way out (Search).
 * Messages are the plain objects @grpc/proto-loader decodes to (keepCase, oneofs).
 */

/** A `google.protobuf.Value` as JSON. */
function structValueToJson(value: Message | undefined): unknown {
  if (value === undefined || value === null) return null;
  switch (value.kind) {
    case 'stringValue':
      return value.stringValue;
    case 'numberValue':
      return value.numberValue;
    case 'boolValue':
      return value.boolValue;
    case 'structValue':
      return structToJson(value.structValue);
    case 'listValue':
      return ((value.listValue?.values ?? []) as Message[]).map(structValueToJson);
    default:
      return null;
  }
}

/** A `google.protobuf.Struct` as a JSON object. */
export function structToJson(struct: Message | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries((struct?.fields ?? {}) as Record<string, Message>)) out[key] = structValueToJson(value);
  return out;
}

/** Little-endian float32 bytes (Weaviate's `vector_bytes`) as numbers. */
export function float32s(bytes: Buffer): number[] {
  const out = new Array<number>(Math.floor(bytes.length / 4));
  for (let index = 0; index < out.length; index++) out[index] = bytes.readFloatLE(index * 4);
  return out;
}

export function float32Bytes(values: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes;
}

function float64s(bytes: Buffer): number[] {
  const out = new Array<number>(Math.floor(bytes.length / 8));
  for (let index = 0; index < out.length; index++) out[index] = bytes.readDoubleLE(index * 8);
  return out;
}

/**
 * The properties of a `BatchObject.Properties` (or a nested
 * `ObjectPropertiesValue`) as the JSON object the REST API would take.
 */
export function batchPropertiesToJson(properties: Message | undefined): JsonObject {
  if (properties === undefined || properties === null) return {};
  const out = structToJson(properties.non_ref_properties);
  for (const entry of (properties.number_array_properties ?? []) as Message[]) {
    const bytes = entry.values_bytes as Buffer | undefined;
    out[entry.prop_name] = bytes !== undefined && bytes.length > 0 ? float64s(bytes) : [...(entry.values ?? [])];
  }
  for (const entry of (properties.int_array_properties ?? []) as Message[]) out[entry.prop_name] = [...(entry.values ?? [])];
  for (const entry of (properties.text_array_properties ?? []) as Message[]) out[entry.prop_name] = [...(entry.values ?? [])];
  for (const entry of (properties.boolean_array_properties ?? []) as Message[]) out[entry.prop_name] = [...(entry.values ?? [])];
  for (const entry of (properties.object_properties ?? []) as Message[]) out[entry.prop_name] = batchPropertiesToJson(entry.value);
  for (const entry of (properties.object_array_properties ?? []) as Message[]) {
    out[entry.prop_name] = ((entry.values ?? []) as Message[]).map(batchPropertiesToJson);
  }
  for (const name of (properties.empty_list_props ?? []) as string[]) out[name] = [];
  return out;
}

/** Property schemas by name, for typing the values of a Search answer. */
type Schemas = ReadonlyMap<string, PropertySchema>;

export function schemasByName(properties: readonly PropertySchema[] | undefined): Schemas {
  return new Map((properties ?? []).map((property) => [property.name, property]));
}

/** JSON properties as Weaviate's typed `Properties` message, each value typed by its schema (or by its JSON type). */
export function propertiesMessage(properties: JsonObject, schemas: Schemas): Message {
  const fields: Record<string, Message> = {};
  for (const [name, value] of Object.entries(properties)) fields[name] = valueMessage(value, schemas.get(name));
  return { fields };
}

function nested(schema: PropertySchema | undefined): Schemas {
  return schemasByName((schema as { nestedProperties?: PropertySchema[] } | undefined)?.nestedProperties);
}

function valueMessage(value: unknown, schema: PropertySchema | undefined): Message {
  if (value === null || value === undefined) return { null_value: 'NULL_VALUE' };
  const type = schema?.dataType[0];
  if (Array.isArray(value)) return { list_value: listMessage(value, type, schema) };
  switch (type) {
    case 'text':
    case 'string':
      return { text_value: String(value) };
    case 'int':
      return { int_value: Number(value) };
    case 'number':
      return { number_value: Number(value) };
    case 'boolean':
      return { bool_value: Boolean(value) };
    case 'date':
      return { date_value: String(value) };
    case 'uuid':
      return { uuid_value: String(value) };
    case 'blob':
      return { blob_value: String(value) };
    case 'geoCoordinates': {
      const geo = value as { latitude?: number; longitude?: number };
      return { geo_value: { latitude: geo.latitude ?? 0, longitude: geo.longitude ?? 0 } };
    }
    case 'phoneNumber':
      return { phone_value: value };
    case 'object':
      return { object_value: propertiesMessage(value as JsonObject, nested(schema)) };
    default:
      break;
  }
  // No schema for it: typed from its JSON value.
  if (typeof value === 'string') return { text_value: value };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  return { object_value: propertiesMessage(value as JsonObject, new Map()) };
}

function listMessage(values: unknown[], type: string | undefined, schema: PropertySchema | undefined): Message {
  switch (type) {
    case 'int[]': {
      const bytes = Buffer.allocUnsafe(values.length * 8);
      for (const [index, value] of values.entries()) bytes.writeBigInt64LE(BigInt(Math.trunc(Number(value))), index * 8);
      return { int_values: { values: bytes } };
    }
    case 'number[]':
      return { number_values: { values: float64Bytes(values.map(Number)) } };
    case 'boolean[]':
      return { bool_values: { values: values.map(Boolean) } };
    case 'date[]':
      return { date_values: { values: values.map(String) } };
    case 'uuid[]':
      return { uuid_values: { values: values.map(String) } };
    case 'object[]':
      return { object_values: { values: values.map((value) => propertiesMessage(value as JsonObject, nested(schema))) } };
    case 'text[]':
    case 'string[]':
      return { text_values: { values: values.map(String) } };
    default:
      break;
  }
  if (values.every((value) => typeof value === 'number')) return { number_values: { values: float64Bytes(values as number[]) } };
  if (values.every((value) => typeof value === 'boolean')) return { bool_values: { values } };
  if (values.every((value) => typeof value === 'object' && value !== null)) {
    return { object_values: { values: values.map((value) => propertiesMessage(value as JsonObject, new Map())) } };
  }
  return { text_values: { values: values.map(String) } };
}

function float64Bytes(values: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (const [index, value] of values.entries()) bytes.writeDoubleLE(value, index * 8);
  return bytes;
}
