// The whole exported conformance suite against Azurite, authenticated by connection string.
import { azurite } from './azurite.ts';
import { runAzureConformance } from './conformance.ts';

runAzureConformance(
  'connection-string',
  () => ({ connectionString: azurite().connectionString }),
  () => ({ AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString }),
);
