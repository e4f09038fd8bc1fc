/**
 * How objects become bucket values: the `objects` bucket holds JSON
 * (properties and timestamps), the `vectors` bucket raw little-endian
 * float32s, both keyed by the id's UTF-8 bytes.
 */
import { corrupt, invalid } from './errors.ts';
import type { ObjectInput, StoredObject } from './types.ts';

export const OBJECTS_BUCKET = 'objects';
export const VECTORS_BUCKET = 'vectors';
/** Longest id accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1024;

export function idKey(id: unknown): Buffer {
  if (typeof id !== 'string' || id.length === 0) throw invalid('object id must be a non-empty string');
  const key = Buffer.from(id, 'utf8');
  if (key.length > MAX_ID_BYTES) throw invalid(`object id is longer than ${MAX_ID_BYTES} bytes`);
  return key;
}

export function encodeObject(input: ObjectInput, now: number): Buffer {
  if (input === null || typeof input !== 'object') throw invalid('object must be a JSON object');
  const properties = input.properties ?? {};
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) throw invalid('properties must be a JSON object');
  const creationTimeUnix = timestamp(input.creationTimeUnix, now, 'creationTimeUnix');
  const lastUpdateTimeUnix = timestamp(input.lastUpdateTimeUnix, now, 'lastUpdateTimeUnix');
  return Buffer.from(JSON.stringify({ properties, creationTimeUnix, lastUpdateTimeUnix }), 'utf8');
}

/** Raw float32 bytes, or null (a tombstone that removes an earlier vector) when there is none. */
export function encodeVector(vector: ObjectInput['vector']): Buffer | null {
  if (vector === undefined || vector === null) return null;
  if (vector instanceof Float32Array) return Buffer.from(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
  if (!Array.isArray(vector)) throw invalid('vector must be an array of numbers or a Float32Array');
  const out = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('vector must contain finite numbers only');
    out.writeFloatLE(value, i * 4);
  });
  return out;
}

export function decodeObject(id: string, data: Buffer, vector: Buffer | undefined, tenant: string | undefined): StoredObject {
  let parsed: { properties: Record<string, unknown>; creationTimeUnix: number; lastUpdateTimeUnix: number };
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw corrupt(`object ${id} is not valid JSON`, error);
  }
  const object: { -readonly [K in keyof StoredObject]: StoredObject[K] } = {
    id,
    properties: parsed.properties,
    creationTimeUnix: parsed.creationTimeUnix,
    lastUpdateTimeUnix: parsed.lastUpdateTimeUnix,
  };
  if (vector !== undefined) object.vector = decodeVector(vector);
  if (tenant !== undefined) object.tenant = tenant;
  return object;
}

function decodeVector(data: Buffer): number[] {
  const out = new Array<number>(data.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = shortestFloat32(data.readFloatLE(i * 4));
  return out;
}

/**
 * The shortest decimal that rounds to the same float32, so that a stored 0.1
 * reads back as 0.1 rather than 0.10000000149011612 (as Weaviate prints it).
 * Binary search over the digit count: if d digits round-trip, so do d + 1
 * (the nearest (d+1)-digit decimal is at least as close), and 9 always do.
 */
function shortestFloat32(value: number): number {
  if (value === 0) return 0; // -0 too: it prints as 0 anyway
  let low = 1;
  let high = 9;
  let best: number | undefined;
  while (low < high) {
    const digits = (low + high) >>> 1;
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) {
      high = digits;
      best = candidate;
    } else {
      low = digits + 1;
    }
  }
  return best ?? Number(value.toPrecision(9));
}

function timestamp(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${field} must be a number`);
  return value;
}
