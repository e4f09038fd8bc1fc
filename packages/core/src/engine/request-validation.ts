import { BackupError, ErrorCode } from '../errors.ts';
import type { Location } from '../provider.ts';
import { CompressionLevel, compressionSpec, isCompressionLevel, type CompressionSpec } from './compression.ts';
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
}

export interface ResolvedRestoreConfig {
  readonly cpuPercentage: number;
  readonly location: Location;
}

function invalid(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, message);
}

export function validateBackupId(id: unknown): string {
  if (typeof id !== 'string' || !BACKUP_ID.test(id)) {
    throw invalid(`invalid backup id: '${String(id)}' allowed characters are lowercase, 0-9, _, -`);
  }
  return id;
}

/** Checks that at most one of include and exclude has values, and that include has no duplicates. */
export function validateSelection(include: readonly string[] | undefined, exclude: readonly string[] | undefined): void {
  for (const [name, list] of [['include', include], ['exclude', exclude]] as const) {
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
    throw invalid(
      `invalid CPUPercentage ${String(value)}: must be between ${MIN_CPU_PERCENTAGE} and ${MAX_CPU_PERCENTAGE}`,
    );
  }
  return value;
}

function location(bucket: string | undefined, path: string | undefined): Location {
  if (bucket !== undefined && typeof bucket !== 'string') throw invalid('invalid Bucket: must be a string');
  if (path !== undefined && typeof path !== 'string') throw invalid('invalid Path: must be a string');
  return {
    ...(bucket === undefined || bucket === '' ? {} : { bucket }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

export function resolveBackupConfig(config: BackupConfig | undefined = {}): ResolvedBackupConfig {
  const chunkSizeMb = config.chunkSizeMb === undefined || config.chunkSizeMb === 0 ? DEFAULT_CHUNK_SIZE_MB : config.chunkSizeMb;
  if (!Number.isInteger(chunkSizeMb) || chunkSizeMb < MIN_CHUNK_SIZE_MB || chunkSizeMb > MAX_CHUNK_SIZE_MB) {
    throw invalid(
      `invalid ChunkSize ${String(config.chunkSizeMb)}: must be between ${MIN_CHUNK_SIZE_MB} and ${MAX_CHUNK_SIZE_MB} (MB)`,
    );
  }
  const level = config.compressionLevel ?? CompressionLevel.DefaultCompression;
  if (!isCompressionLevel(level)) {
    throw invalid(
      `invalid CompressionLevel ${JSON.stringify(level)}: use one of ${Object.keys(CompressionLevel).join(', ')}`,
    );
  }
  return {
    cpuPercentage: cpuPercentage(config.cpuPercentage),
    chunkSizeBytes: chunkSizeMb * MB,
    compression: compressionSpec(level),
    location: location(config.bucket, config.path),
  };
}

export function resolveRestoreConfig(config: RestoreConfig | undefined = {}): ResolvedRestoreConfig {
  return { cpuPercentage: cpuPercentage(config.cpuPercentage), location: location(config.bucket, config.path) };
}

/** Chunks packed or unpacked at once: `max(1, round(cores * percentage / 100))`. */
export function pipelineCount(cpuCount: number, percentage: number): number {
  return Math.max(1, Math.round((cpuCount * percentage) / 100));
}
