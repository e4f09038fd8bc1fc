export { S3Provider } from './s3-provider.ts';
export {
  s3OptionsFromEnv,
  resolveS3Options,
  S3_LIMITS,
  DEFAULT_ENDPOINT,
  type S3ProviderOptions,
  type ResolvedS3Options,
  type S3Credentials,
} from './options.ts';
export { mapS3Error, type S3ErrorScope } from './errors.ts';

import type { ProviderModule } from '@backup/core/provider';
import { s3OptionsFromEnv } from './options.ts';
import { S3Provider } from './s3-provider.ts';

/** How `ENABLE_MODULES=backup-s3` turns the environment into a provider. */
export const backupModule: ProviderModule = {
  name: 's3',
  fromEnv: (env) => new S3Provider(s3OptionsFromEnv(env)),
  // Worker threads build their own instance from the same environment (see ProviderModule.workerEntry).
  workerEntry: import.meta.url,
};
