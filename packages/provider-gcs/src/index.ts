export { GcsProvider } from './gcs-provider.ts';
export { gcsOptionsFromEnv, type GcsConnectionOptions, type GcsProviderOptions } from './options.ts';
export { createStorage, defaultRetryOptions } from './client.ts';
export { nativeCrc32cGenerator } from './crc32c.ts';

import type { ProviderModule } from '@backup/core/provider';
import { GcsProvider } from './gcs-provider.ts';
import { gcsOptionsFromEnv } from './options.ts';

/** How `ENABLE_MODULES=backup-gcs` turns the environment into a provider. */
export const backupModule: ProviderModule = {
  name: 'gcs',
  fromEnv: (env) => new GcsProvider(gcsOptionsFromEnv(env)),
  // Worker threads build their own instance from the same environment (see ProviderModule.workerEntry).
  workerEntry: import.meta.url,
};
