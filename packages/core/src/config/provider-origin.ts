/**
 * Where a provider came from, when another thread can build its twin: the
 * module (`ProviderModule.workerEntry`) and the environment its `fromEnv`
 * read. `providersFromEnv` records it; the chunk worker pool reads it to let
 * its workers write and read stored bytes themselves (chunk-worker-pool.ts).
 * A provider built any other way (a plain object handed to the engine) has
 * no origin, and its bytes pass through the main thread.
 */
import type { BackupProvider } from '../provider.ts';

export interface ProviderOrigin {
  /** URL of a module exporting `backupModule`. */
  readonly entry: string;
  /** The environment `fromEnv` was given (strings only: it crosses to the worker). */
  readonly env: Readonly<Record<string, string>>;
}

const origins = new WeakMap<BackupProvider, ProviderOrigin>();

/** Records that `provider` is what `import(entry).backupModule.fromEnv(env)` builds. */
export function setProviderOrigin(provider: BackupProvider, entry: string, env: NodeJS.ProcessEnv): void {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') strings[name] = value;
  origins.set(provider, { entry, env: strings });
}

export function providerOrigin(provider: BackupProvider): ProviderOrigin | undefined {
  return origins.get(provider);
}
