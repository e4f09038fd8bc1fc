export { AzureProvider } from './azure-provider.ts';
export {
  azureOptionsFromEnv,
  type AzureProviderOptions,
  type AzureConnection,
  type AzureStorageOptions,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_UPLOAD_CONCURRENCY,
} from './options.ts';

import type { ProviderModule } from '@backup/core/provider';
import { AzureProvider } from './azure-provider.ts';
import { azureOptionsFromEnv } from './options.ts';

/** How `ENABLE_MODULES=backup-azure` turns the environment into a provider. */
export const backupModule: ProviderModule = {
  name: 'azure',
  fromEnv: (env) => new AzureProvider(azureOptionsFromEnv(env)),
  // Worker threads build their own instance from the same environment (see ProviderModule.workerEntry).
  workerEntry: import.meta.url,
};
