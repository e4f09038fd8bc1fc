export { FilesystemProvider } from './filesystem-provider.ts';
export { filesystemOptionsFromEnv, type FilesystemProviderOptions } from './options.ts';

import type { ProviderModule } from '@backup/core/provider';
import { FilesystemProvider } from './filesystem-provider.ts';
import { filesystemOptionsFromEnv } from './options.ts';

/** How `ENABLE_MODULES=backup-filesystem` turns the environment into a provider. */
export const backupModule: ProviderModule = {
  name: 'filesystem',
  fromEnv: (env) => new FilesystemProvider(filesystemOptionsFromEnv(env)),
  // Worker threads build their own instance from the same environment (see ProviderModule.workerEntry).
  workerEntry: import.meta.url,
};
