import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupProvider } from '../provider.ts';

/** What `BackupEngine` accepts as its providers. */
export type ProvidersInput = ProviderRegistry | Readonly<Record<string, BackupProvider>> | Iterable<BackupProvider>;

const PREFIX = 'backup-';

/** `backup-s3` and `s3` name the same backend. */
export function backendName(name: string): string {
  return name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

/**
 * The enabled providers, by backend name (`filesystem`, `s3`, ...).
 * Lookups accept the `backup-` prefix, as the API does.
 */
export class ProviderRegistry {
  readonly #providers = new Map<string, BackupProvider>();

  constructor(providers: Iterable<readonly [string, BackupProvider]> = []) {
    for (const [name, provider] of providers) this.add(provider, name);
  }

  /** Builds a registry from a registry, a `{name: provider}` object or a list of providers. */
  static from(input: ProvidersInput): ProviderRegistry {
    if (input instanceof ProviderRegistry) return input;
    if (isIterable(input)) return new ProviderRegistry([...input].map((provider) => [provider.name, provider] as const));
    return new ProviderRegistry(Object.entries(input));
  }

  /** Registers `provider` under `name` (default: its own name). */
  add(provider: BackupProvider, name: string = provider.name): this {
    const key = backendName(name);
    if (this.#providers.has(key)) {
      throw new BackupError(ErrorCode.CONFIG, `backup backend "${key}" is configured twice`);
    }
    this.#providers.set(key, provider);
    return this;
  }

  has(name: string): boolean {
    return this.#providers.has(backendName(name));
  }

  /** The provider for `name`; INVALID_ARGUMENT (HTTP 422) when none is enabled. */
  get(name: string): BackupProvider {
    const provider = this.#providers.get(backendName(name));
    if (provider === undefined) {
      throw new BackupError(
        ErrorCode.INVALID_ARGUMENT,
        `no backup backend "${name}": did you enable the right module? (enabled: ${this.names().join(', ') || 'none'})`,
      );
    }
    return provider;
  }

  /** Backend names, e.g. `['filesystem', 's3']`. */
  names(): string[] {
    return [...this.#providers.keys()];
  }

  /** Module names as `ENABLE_MODULES` spells them, e.g. `['backup-filesystem']`. */
  moduleNames(): string[] {
    return this.names().map((name) => `${PREFIX}${name}`);
  }

  /** Closes every provider; the registry is unusable afterwards. */
  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.#providers.values()].map((provider) => provider.close()));
    this.#providers.clear();
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  [Symbol.iterator](): IterableIterator<[string, BackupProvider]> {
    return this.#providers.entries();
  }
}

function isIterable(value: unknown): value is Iterable<BackupProvider> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
