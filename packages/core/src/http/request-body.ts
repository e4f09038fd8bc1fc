import { BackupError, ErrorCode } from '../errors.ts';
import type { CompressionLevel } from '../engine/compression.ts';
import type { BackupConfig, RestoreConfig } from '../engine/types.ts';

type Json = Record<string, unknown>;

function malformed(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, `malformed request: ${message}`);
}

export function requireObject(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('the body must be a JSON object');
  return body as Json;
}

/** A field by its reference name (`CPUPercentage`) or the lower-camel spelling some clients send (`cpuPercentage`). */
function field(object: Json, name: string): unknown {
  if (object[name] !== undefined) return object[name];
  return object[name.charAt(0).toLowerCase() + name.slice(1)] ?? object[name.toLowerCase()];
}

function optionalString(object: Json, name: string): string | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw malformed(`'${name}' must be a string`);
  return value;
}

function optionalNumber(object: Json, name: string): number | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`'${name}' must be a number`);
  return value;
}

export function optionalStringList(object: Json, name: string): string[] | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw malformed(`'${name}' must be a list of strings`);
  }
  return value as string[];
}

function configObject(body: Json): Json {
  const config = body.config;
  if (config === undefined || config === null) return {};
  if (typeof config !== 'object' || Array.isArray(config)) throw malformed("'config' must be an object");
  return config as Json;
}

export function parseBackupConfig(body: Json): BackupConfig {
  const config = configObject(body);
  return {
    cpuPercentage: optionalNumber(config, 'CPUPercentage'),
    chunkSizeMb: optionalNumber(config, 'ChunkSize'),
    compressionLevel: optionalString(config, 'CompressionLevel') as CompressionLevel | undefined,
    bucket: optionalString(config, 'Bucket'),
    path: optionalString(config, 'Path'),
  };
}

export function parseRestoreConfig(body: Json): RestoreConfig {
  const config = configObject(body);
  return {
    cpuPercentage: optionalNumber(config, 'CPUPercentage'),
    bucket: optionalString(config, 'Bucket'),
    path: optionalString(config, 'Path'),
  };
}

export function parseNodeMapping(body: Json): Record<string, string> | undefined {
  const value = body.node_mapping ?? body.nodeMapping;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((node) => typeof node !== 'string')) {
    throw malformed("'node_mapping' must map node names to node names");
  }
  return value as Record<string, string>;
}
