import { BackupError, ErrorCode } from '../errors.ts';
import type { CompressionLevel } from '../format/compression-spec.ts';
import type { BackupConfig, RestoreConfig } from '../engine/types.ts';

type Json = Record<string, unknown>;

function malformed(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, `malformed request: ${message}`);
}

export function requireObject(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('the body must be a JSON object');
  return body as Json;
}

/**
 * The fields of a request object, read as Weaviate (Go's `encoding/json`)
 * reads them: by exact name first, else by a name equal ignoring case
 * (`cpuPercentage` is `CPUPercentage`). `aliases` map other accepted
 * spellings to a field. Unlike `encoding/json`, a key that names no field is
 * refused (422 naming it) rather than silently dropped: a misspelt setting
 * must not run a backup without it.
 */
export function readFields<const Name extends string>(
  object: Json,
  known: readonly Name[],
  where: string,
  aliases: Readonly<Record<string, Name>> = {},
): Partial<Record<Name, unknown>> {
  const byFoldedName = new Map<string, Name>();
  for (const name of known) byFoldedName.set(name.toLowerCase(), name);
  for (const [alias, name] of Object.entries(aliases)) byFoldedName.set(alias.toLowerCase(), name);
  const fields: Partial<Record<Name, unknown>> = {};
  const exact = new Set<Name>();
  for (const [key, value] of Object.entries(object)) {
    const name = (known as readonly string[]).includes(key) ? (key as Name) : byFoldedName.get(key.toLowerCase());
    if (name === undefined) {
      throw malformed(`unknown field '${where}${key}' (known: ${known.map((field) => `${where}${field}`).join(', ')})`);
    }
    // An exact spelling wins over a case-folded one, whatever their order.
    if (exact.has(name)) continue;
    if (key === name) exact.add(name);
    fields[name] = value;
  }
  return fields;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw malformed(`'${name}' must be a string`);
  return value;
}

function optionalNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`'${name}' must be a number`);
  return value;
}

export function optionalStringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw malformed(`'${name}' must be a list of strings`);
  }
  return value as string[];
}

function optionalObject(value: unknown, name: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(`'${name}' must be an object`);
  return value as Json;
}

/**
 * Weaviate's RBAC restore options. This server keeps no roles or users, so its
 * backups carry none: `noRestore` is what happens anyway and is accepted;
 * `all` (restore them) cannot be honoured and is refused naming the field.
 */
function checkRbacOption(value: unknown, name: string): void {
  const option = optionalString(value, name);
  if (option !== undefined && option !== 'noRestore' && option !== 'all') {
    throw malformed(`'${name}' must be "noRestore" or "all"`);
  }
  if (option === 'all') {
    throw new BackupError(
      ErrorCode.NOT_SUPPORTED,
      `'${name}' "all" is not supported: this server keeps no roles or users, so a backup carries none to restore`,
    );
  }
}

/** Weaviate's alias conflict switch. This server has no aliases: `false` (the clients' default) is what happens; `true` is refused. */
function checkOverwriteAlias(value: unknown): void {
  if (value === undefined || value === null || value === false) return;
  if (typeof value !== 'boolean') throw malformed("'overwriteAlias' must be a boolean");
  throw new BackupError(ErrorCode.NOT_SUPPORTED, "'overwriteAlias' true is not supported: this server has no collection aliases to overwrite");
}

const CREATE_FIELDS = ['id', 'include', 'exclude', 'config', 'incremental_base_backup_id'] as const;
const BACKUP_CONFIG_FIELDS = ['CPUPercentage', 'ChunkSize', 'CompressionLevel', 'Bucket', 'Path', 'Endpoint'] as const;
const RESTORE_FIELDS = ['include', 'exclude', 'node_mapping', 'config', 'overwriteAlias'] as const;
const RESTORE_CONFIG_FIELDS = ['CPUPercentage', 'Bucket', 'Path', 'Endpoint', 'rolesOptions', 'usersOptions'] as const;

/** The body of `POST /backups/{backend}`: `id` is passed on as sent (the engine validates it). */
export function parseCreateBody(body: unknown): {
  id: unknown;
  include: string[] | undefined;
  exclude: string[] | undefined;
  config: BackupConfig;
  incrementalBaseBackupId: string | undefined;
} {
  const fields = readFields(requireObject(body), CREATE_FIELDS, '');
  const config = readFields(optionalObject(fields.config, 'config'), BACKUP_CONFIG_FIELDS, 'config.');
  return {
    id: fields.id,
    include: optionalStringList(fields.include, 'include'),
    exclude: optionalStringList(fields.exclude, 'exclude'),
    // Weaviate (≥ 1.37) names it so; empty means a full backup, as there.
    incrementalBaseBackupId: optionalString(fields.incremental_base_backup_id, 'incremental_base_backup_id') || undefined,
    config: {
      cpuPercentage: optionalNumber(config.CPUPercentage, 'config.CPUPercentage'),
      chunkSizeMb: optionalNumber(config.ChunkSize, 'config.ChunkSize'),
      compressionLevel: optionalString(config.CompressionLevel, 'config.CompressionLevel') as CompressionLevel | undefined,
      bucket: optionalString(config.Bucket, 'config.Bucket'),
      path: optionalString(config.Path, 'config.Path'),
      endpoint: optionalString(config.Endpoint, 'config.Endpoint'),
    },
  };
}

/** The body of `POST /backups/{backend}/{id}/restore` (may be empty). */
export function parseRestoreBody(body: unknown): {
  include: string[] | undefined;
  exclude: string[] | undefined;
  nodeMapping: Record<string, string> | undefined;
  config: RestoreConfig;
} {
  const fields = readFields(requireObject(body ?? {}), RESTORE_FIELDS, '', { nodeMapping: 'node_mapping' });
  const config = readFields(optionalObject(fields.config, 'config'), RESTORE_CONFIG_FIELDS, 'config.');
  checkRbacOption(config.rolesOptions, 'config.rolesOptions');
  checkRbacOption(config.usersOptions, 'config.usersOptions');
  checkOverwriteAlias(fields.overwriteAlias);
  return {
    include: optionalStringList(fields.include, 'include'),
    exclude: optionalStringList(fields.exclude, 'exclude'),
    nodeMapping: parseNodeMapping(fields.node_mapping),
    config: {
      cpuPercentage: optionalNumber(config.CPUPercentage, 'config.CPUPercentage'),
      bucket: optionalString(config.Bucket, 'config.Bucket'),
      path: optionalString(config.Path, 'config.Path'),
      endpoint: optionalString(config.Endpoint, 'config.Endpoint'),
    },
  };
}

function parseNodeMapping(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((node) => typeof node !== 'string')) {
    throw malformed("'node_mapping' must map node names to node names");
  }
  return value as Record<string, string>;
}
