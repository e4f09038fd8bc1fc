import type { BackupProvider, Location, ProviderModule } from '@backup/core';

/**
 * The runner's test function: vitest's or jest's `test`, or anything with the
 * same shape. The suite registers its tests through it and never imports a runner.
 */
export type TestFunction = (name: string, fn: () => Promise<void>, timeoutMs?: number) => unknown;

export interface ProviderConformanceOptions {
  /** Registers one test. */
  readonly test: TestFunction;
  /**
   * Returns a new provider whose storage no other instance sees: a fresh
   * bucket, prefix or directory per call. The suite closes what it creates.
   */
  readonly factory: () => BackupProvider | Promise<BackupProvider>;
  /**
   * A second location the provider's instances can reach (another `path`, and
   * `bucket` if the backend has buckets), used to prove that per-call
   * overrides isolate. Should be fresh per call, like `factory`.
   */
  readonly alternateLocation: () => Location | Promise<Location>;
  /**
   * Everything the backend holds for `provider`'s root, including what the
   * provider hides from `list` (temp files, uncommitted multipart uploads,
   * uncommitted blocks). When given, the suite proves that aborted writes and
   * `initialize` leave nothing behind.
   */
  readonly inspect?: ((provider: BackupProvider) => Promise<readonly string[]>) | undefined;
  /**
   * The provider's module and an environment its `fromEnv` reads (a fresh
   * place per call, like `factory`). When the module declares `workerEntry`,
   * the suite proves that worker threads build the provider from it and reach
   * the same storage (the `workerEntry` group).
   */
  readonly module?: { readonly backupModule: ProviderModule; readonly env: () => NodeJS.ProcessEnv | Promise<NodeJS.ProcessEnv> } | undefined;
  /** Size of the streaming test's object; at least 64 MiB unless a test run says otherwise. */
  readonly largeObjectSize?: number | undefined;
  /** Per-test timeout in milliseconds (default 120 000). */
  readonly timeoutMs?: number | undefined;
}

export interface ResolvedOptions extends ProviderConformanceOptions {
  readonly largeObjectSize: number;
  readonly timeoutMs: number;
}

export function resolveOptions(options: ProviderConformanceOptions): ResolvedOptions {
  return {
    ...options,
    largeObjectSize: options.largeObjectSize ?? 64 * 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 120_000,
  };
}
