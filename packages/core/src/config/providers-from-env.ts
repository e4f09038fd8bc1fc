import { BackupError, ErrorCode } from '../errors.ts';
import type { ProviderModule } from '../provider.ts';
import { candidatePackages, parseModuleList } from './module-resolution.ts';
import { setProviderOrigin } from './provider-origin.ts';
import { ProviderRegistry } from './provider-registry.ts';

export interface ProvidersFromEnvOptions {
  /**
   * Imports a package by name. Default: `import(name)` from `@backup/core`'s
   * own location; hosts pass `(name) => import(name)` from their own module
   * so that packages installed next to the host resolve.
   */
  readonly importModule?: ((specifier: string) => Promise<unknown>) | undefined;
  /**
   * Modules already at hand, by `ENABLE_MODULES` entry (e.g. `{'backup-s3': s3Module}`):
   * used instead of importing, for bundled hosts and tests.
   */
  readonly modules?: Readonly<Record<string, ProviderModule>> | undefined;
}

/**
 * Builds the enabled providers from the environment: every `backup-*` entry of
 * `ENABLE_MODULES` (comma-separated; other modules are ignored) resolves a
 * package (see `candidatePackages`) exporting `backupModule`, whose `fromEnv`
 * reads that provider's variables. A missing required variable rejects with
 * CONFIG naming it; a module that cannot be found rejects with CONFIG too.
 */
export async function providersFromEnv(env: NodeJS.ProcessEnv = process.env, options: ProvidersFromEnvOptions = {}): Promise<ProviderRegistry> {
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  const registry = new ProviderRegistry();
  for (const entry of parseModuleList(env.ENABLE_MODULES)) {
    const module = options.modules?.[entry] ?? (await loadModule(entry, importModule));
    if (module === undefined) continue;
    const provider = module.fromEnv(env);
    if (module.workerEntry !== undefined) setProviderOrigin(provider, module.workerEntry, env);
    registry.add(provider, module.name);
  }
  return registry;
}

async function loadModule(entry: string, importModule: (specifier: string) => Promise<unknown>): Promise<ProviderModule | undefined> {
  const candidates = candidatePackages(entry);
  if (candidates.length === 0) return undefined;
  const failures: string[] = [];
  for (const specifier of candidates) {
    let loaded: unknown;
    try {
      loaded = await importModule(specifier);
    } catch (error) {
      if (isModuleNotFound(error, specifier)) {
        failures.push(specifier);
        continue;
      }
      throw new BackupError(ErrorCode.CONFIG, `${entry}: loading ${specifier} failed: ${describe(error)}`, { cause: error });
    }
    const module = (loaded as { backupModule?: unknown } | undefined)?.backupModule;
    if (!isProviderModule(module)) {
      throw new BackupError(ErrorCode.CONFIG, `${entry}: ${specifier} does not export a backupModule ({ name, fromEnv })`);
    }
    return module;
  }
  throw new BackupError(ErrorCode.CONFIG, `${entry} is enabled in ENABLE_MODULES but no package provides it (tried ${failures.join(', ')}): install one`);
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Only when the package itself is missing, not one of its own imports.
  return error instanceof Error && error.message.includes(`'${specifier}'`);
}

function isProviderModule(value: unknown): value is ProviderModule {
  const module = value as Partial<ProviderModule> | undefined;
  return typeof module?.name === 'string' && typeof module.fromEnv === 'function';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
