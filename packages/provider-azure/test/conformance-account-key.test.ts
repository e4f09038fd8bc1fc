// The whole exported conformance suite against Azurite, authenticated by account name and shared key.
import { azurite } from './azurite.ts';
import { runAzureConformance } from './conformance.ts';

runAzureConformance('account-key', () => {
  const { accountName, accountKey, blobEndpoint } = azurite();
  return { accountName, accountKey, blobEndpoint };
});
