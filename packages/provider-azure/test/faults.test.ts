// The exported fault suite against Azurite: every request of the provider
// crosses the fault proxy (the blob endpoint points at it), which resets,
// stalls, truncates, answers 503 or flips bytes at one stage of a backup or
// restore. Blocks of 1 MiB, so every chunk is committed by a block list.
import { afterAll, beforeAll, test } from 'vitest';
import { runFaultConformance, type FaultOutcome } from '@backup/conformance';
import { AzureProvider } from '../src/index.ts';
import { TEST_CONTAINER, azurite, ensureContainers, uniquePath } from './azurite.ts';

const outcomes: FaultOutcome[] = [];
beforeAll(() => ensureContainers(TEST_CONTAINER));
afterAll(() => {
  if (outcomes.length === 0) return;
  const longest = Math.max(...outcomes.map((outcome) => outcome.elapsedMs));
  console.log(`azure faults: ${outcomes.length} scenarios, ${outcomes.map((o) => o.status).join(' ')}; longest ${longest} ms`);
});

runFaultConformance({
  test,
  target: () => new URL(azurite().blobEndpoint).origin,
  createProvider: ({ endpoint, progressTimeoutMs }) => {
    const { accountName, accountKey, blobEndpoint } = azurite();
    return new AzureProvider({
      accountName,
      accountKey,
      // Same account path, the proxy's origin.
      blobEndpoint: `${endpoint}${new URL(blobEndpoint).pathname}`,
      container: TEST_CONTAINER,
      path: uniquePath('faults'),
      blockSize: 1024 * 1024,
      // The SDK's own retries would hide what the engine must do.
      retry: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
      progressTimeoutMs,
    });
  },
  requests: {
    multipartCompletion: { method: 'PUT', url: /comp=blocklist/ },
  },
  // A byte damaged on the way up is refused by the backend and the upload retried: never stored, never a failed backup.
  outcomes: { 'a chunk upload has a flipped byte': ['SUCCESS'] },
  onOutcome: (outcome) => outcomes.push(outcome),
});
