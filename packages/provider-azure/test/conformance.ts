// Registers the whole exported conformance suite for one way of connecting to Azurite.
import { beforeAll, test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { AzureProvider, backupModule, type AzureConnection } from '../src/index.ts';
import { ALTERNATE_CONTAINER, TEST_CONTAINER, ensureContainers, rawBlobs, uniquePath } from './azurite.ts';

/** `env`: the environment `backup-azure` reads for the same connection (its `workerEntry` is proved with it). */
export function runAzureConformance(stem: string, connect: () => AzureConnection, env?: () => NodeJS.ProcessEnv): void {
  beforeAll(() => ensureContainers(TEST_CONTAINER, ALTERNATE_CONTAINER));

  let instances = 0;
  // A small page size, so listing pages even with a handful of blobs.
  const factory = (): AzureProvider =>
    new AzureProvider({ ...connect(), container: TEST_CONTAINER, path: `${uniquePath(stem)}/instance-${++instances}`, listPageSize: 7 });

  runProviderConformance({
    test,
    factory,
    capabilities: new AzureProvider({ connectionString: 'UseDevelopmentStorage=true', container: TEST_CONTAINER, listPageSize: 7 }).capabilities,
    alternateLocation: () => ({ bucket: ALTERNATE_CONTAINER, path: `${uniquePath(stem)}/override-${++instances}` }),
    inspect: async (provider) => await rawBlobs(TEST_CONTAINER, (provider as AzureProvider).path),
    module: env && {
      backupModule,
      env: () => ({ ...env(), BACKUP_AZURE_CONTAINER: TEST_CONTAINER, BACKUP_AZURE_PATH: `${uniquePath(stem)}/env-${++instances}` }),
    },
  });
}
