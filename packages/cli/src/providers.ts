import { compactLocation, providersFromEnv, type BackupProvider, type Location } from '@backup/core';
import type { CliIo } from './io.ts';

/** Runs `work` with the providers `ENABLE_MODULES` enables, closing them afterwards. */
export async function withProviders<T>(io: CliIo, work: (provider: (backend: string) => BackupProvider) => Promise<T>): Promise<T> {
  // The command runs as the operator, who names paths on their own machine: unlike the server (where
  // any client sends them), every absolute --path/--from-path/--to-path is allowed unless they narrow it.
  const env = { BACKUP_FILESYSTEM_ALLOWED_ROOTS: '/', ...io.env };
  const registry = await providersFromEnv(env, { importModule: io.importModule ?? ((specifier) => import(specifier)) });
  try {
    return await work((backend) => registry.get(backend));
  } finally {
    await registry.close().catch(() => undefined);
  }
}

/** A location from `--bucket`/`--path` style options; absent or empty ones keep the configured values. */
export function location(bucket: string | undefined, path: string | undefined): Location {
  return compactLocation({ bucket, path });
}

/** `--concurrency`: a whole number from 1 to 64. */
export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${value}"`);
  return parsed;
}

/** A mistake in how the command was called: answered with the usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
