// Starts one Azurite for the whole run (or uses BACKUP_TEST_AZURE_BLOB_ENDPOINT)
// and hands its coordinates to the tests through `inject('azurite')`.
// If Azurite cannot start, startAzurite throws and the run fails: nothing skips.
import type { TestProject } from 'vitest/node';
import { startAzurite } from '@backup/test-emulators/azurite';

export interface AzuriteCoordinates {
  readonly connectionString: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly blobEndpoint: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    azurite: AzuriteCoordinates;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  const { connectionString, accountName, accountKey, blobEndpoint } = azurite;
  project.provide('azurite', { connectionString, accountName, accountKey, blobEndpoint });
  return async () => await azurite.stop();
}
