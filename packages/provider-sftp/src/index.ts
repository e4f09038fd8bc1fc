export { SftpProvider } from './sftp-provider.ts';
export { sftpOptionsFromEnv, type SftpProviderOptions } from './options.ts';

import type { ProviderModule } from '@backup/core/provider';
import { sftpOptionsFromEnv } from './options.ts';
import { SftpProvider } from './sftp-provider.ts';

/** How `ENABLE_MODULES=backup-sftp` turns the environment into a provider. */
export const backupModule: ProviderModule = {
  name: 'sftp',
  fromEnv: (env) => new SftpProvider(sftpOptionsFromEnv(env)),
  // Worker threads build their own instance from the same environment (see ProviderModule.workerEntry).
  workerEntry: import.meta.url,
};
