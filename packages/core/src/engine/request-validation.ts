import type { ProviderCapabilities } from '../capabilities.ts';
import { BackupError, ErrorCode } from '../errors.ts';
import { compactLocation } from '../location.ts';
import type { Location } from '../provider.ts';
import { CompressionLevel, type CompressionSpec } from '../format/compression-spec.ts';
import { compressionSpec, isCompressionLevel } from './compression.ts';
import type { BackupConfig, RestoreConfig } from './types.ts';

const BACKUP_ID = /^[a-z0-9_-]+$/;

export const DEFAULT_CPU_PERCENTAGE = 50;
export const MIN_CPU_PERCENTAGE = 1;
export const MAX_CPU_PERCENTAGE = 80;
export const DEFAULT_CHUNK_SIZE_MB = 128;
export const MIN_CHUNK_SIZE_MB = 2;
export const MAX_CHUNK_SIZE_MB = 512;
const MB = 1024 * 1024;

/** A backup's settings after defaults and validation. */
export interface ResolvedBackupConfig {
  readonly cpuPercentage: number;
  readonly chunkSizeBytes: number;
  readonly compression: CompressionSpec;
  readonly location: Location;
  /** Set for an incremental backup (validated by the engine against storage). */
  readonly incrementalBaseBackupId?: string | undefined;
}

export interface ResolvedRestoreConfig {
  readonly cpuPercentage: number;
  readonly location: Location;
}

function invalid(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, message);
}

/**
 * Longest backup id. Weaviate sets none; 128 keeps every key of a backup
 * (`<root>/<id>/<node>/<class ≤ 128>/chunk-…`) under the 1024-byte object key
 * limit of S3, GCS and Azure with room for a root path, and the id folder under
 * the 255-byte file name limit of filesystems.
 */
export const MAX_BACKUP_ID_LENGTH = 128;

export function validateBackupId(id: unknown): string {
  if (id === undefined || id === null || id === '') throw invalid("invalid backup id: 'id' is required");
  if (typeof id !== 'string') {
    throw invalid(`invalid backup id: 'id' must be a string, got ${id === null ? 'null' : Array.isArray(id) ? 'a list' : typeof id}`);
  }
  if (id.length > MAX_BACKUP_ID_LENGTH) {
    throw invalid(`invalid backup id: 'id' has ${id.length} characters, at most ${MAX_BACKUP_ID_LENGTH} are allowed`);
  }
  if (!BACKUP_ID.test(id)) {
    throw invalid(`invalid backup id: '${id}' allowed characters are lowercase, 0-9, _, -`);
  }
  return id;
}

/** Longest `Bucket` and `Path` a request may name (S3 keys are at most 1024 bytes, bucket names far shorter). */
export const MAX_LOCATION_BUCKET_LENGTH = 255;
export const MAX_LOCATION_PATH_LENGTH = 1024;

/** How the fields of a location are called where they came from (`config.Path`, the `path` query parameter). */
export interface LocationFieldNames {
  readonly bucket: string;
  readonly path: string;
}

/**
 * Checks the form of a request's bucket and path overrides, whatever the
 * provider: strings, no control characters (a NUL reached `open` as a 500),
 * bounded length. INVALID_ARGUMENT naming the field. Empty means absent.
 */
export function validateLocation(bucket: unknown, path: unknown, names: LocationFieldNames = { bucket: 'Bucket', path: 'Path' }): Location {
  const check = (value: unknown, name: string, max: number): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(`invalid ${name}: must be a string`);
    if (value.length > max) throw invalid(`invalid ${name}: ${value.length} characters, at most ${max} are allowed`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(`invalid ${name}: ${JSON.stringify(value)} contains a control character`);
    return value;
  };
  const checkedBucket = check(bucket, names.bucket, MAX_LOCATION_BUCKET_LENGTH);
  const checkedPath = check(path, names.path, MAX_LOCATION_PATH_LENGTH);
  return compactLocation({ bucket: checkedBucket, path: checkedPath });
}

/** Checks that at most one of include and exclude has values, and that include has no duplicates. */
export function validateSelection(include: readonly string[] | undefined, exclude: readonly string[] | undefined): void {
  for (const [name, list] of [
    ['include', include],
    ['exclude', exclude],
  ] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string' || entry === '')) {
      throw invalid(`malformed request: '${name}' must be a list of collection names`);
    }
  }
  if ((include?.length ?? 0) > 0 && (exclude?.length ?? 0) > 0) {
    throw invalid("malformed request: 'include' and 'exclude' cannot both contain values");
  }
  const seen = new Set<string>();
  for (const name of include ?? []) {
    if (seen.has(name)) throw invalid(`malformed request: class '${name}' appears more than once in 'include'`);
    seen.add(name);
  }
}

function cpuPercentage(value: number | undefined): number {
  if (value === undefined || value === 0) return DEFAULT_CPU_PERCENTAGE;
  if (!Number.isInteger(value) || value < MIN_CPU_PERCENTAGE || value > MAX_CPU_PERCENTAGE) {
    throw invalid(`invalid CPUPercentage ${String(value)}: must be between ${MIN_CPU_PERCENTAGE} and ${MAX_CPU_PERCENTAGE}`);
  }
  return value;
}

function location(bucket: string | undefined, path: string | undefined, endpoint: string | undefined): Location {
  const checked = validateLocation(bucket, path);
  if (endpoint === undefined || endpoint === '') return checked;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (endpoint.length > 255 || /[\u0000-\u0020\u007f/]/.test(endpoint.replace(/^https?:\/\//, ''))) {
    throw invalid(`invalid Endpoint ${JSON.stringify(endpoint)}: expected host[:port]`);
  }
  return { ...checked, endpoint };
}

export function resolveBackupConfig(config: BackupConfig | undefined = {}): ResolvedBackupConfig {
  const chunkSizeMb = config.chunkSizeMb === undefined || config.chunkSizeMb === 0 ? DEFAULT_CHUNK_SIZE_MB : config.chunkSizeMb;
  if (!Number.isInteger(chunkSizeMb) || chunkSizeMb < MIN_CHUNK_SIZE_MB || chunkSizeMb > MAX_CHUNK_SIZE_MB) {
    throw invalid(`invalid ChunkSize ${String(config.chunkSizeMb)}: must be between ${MIN_CHUNK_SIZE_MB} and ${MAX_CHUNK_SIZE_MB} (MB)`);
  }
  const level = config.compressionLevel ?? CompressionLevel.DefaultCompression;
  if (!isCompressionLevel(level)) {
    throw invalid(`invalid CompressionLevel ${JSON.stringify(level)}: use one of ${Object.keys(CompressionLevel).join(', ')}`);
  }
  return {
    cpuPercentage: cpuPercentage(config.cpuPercentage),
    chunkSizeBytes: chunkSizeMb * MB,
    compression: compressionSpec(level),
    location: location(config.bucket, config.path, config.endpoint),
  };
}

/**
 * Refuses, before anything starts, a ChunkSize the provider cannot store as
 * one object (its manifest's `maxObjectSize`). A chunk is at most ChunkSize
 * bytes of raw files, compressed; a provider limit below that would fail the
 * backup halfway, after chunks were written.
 */
export function checkChunkSizeFits(chunkSizeBytes: number, backend: string, capabilities: ProviderCapabilities): void {
  if (chunkSizeBytes > capabilities.maxObjectSize) {
    throw invalid(`invalid ChunkSize ${chunkSizeBytes / MB}: backend "${backend}" stores objects of at most ${Math.floor(capabilities.maxObjectSize / MB)} MB`);
  }
}

export function resolveRestoreConfig(config: RestoreConfig | undefined = {}): ResolvedRestoreConfig {
  return { cpuPercentage: cpuPercentage(config.cpuPercentage), location: location(config.bucket, config.path, config.endpoint) };
}

/** Chunks packed or unpacked at once: `max(1, round(cores * percentage / 100))`. */
export function pipelineCount(cpuCount: number, percentage: number): number {
  return Math.max(1, Math.round((cpuCount * percentage) / 100));
}
