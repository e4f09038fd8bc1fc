// initialize() tells a person what is wrong: the key, the container, or the endpoint.
import assert from 'node:assert/strict';
import { beforeAll, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { freePort } from '@backup/test-emulators';
import { AzureProvider } from '../src/index.ts';
import { TEST_CONTAINER, azurite, ensureContainers, uniquePath } from './azurite.ts';

beforeAll(() => ensureContainers(TEST_CONTAINER));

async function rejection(promise: Promise<unknown>, code: string): Promise<BackupError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (reason: unknown) => reason,
  );
  assert.ok(BackupError.is(error), `expected a BackupError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

test('a wrong account key: initialize rejects with ACCESS_DENIED, the SDK error as cause', async () => {
  const { accountName, blobEndpoint } = azurite();
  const provider = new AzureProvider({
    accountName,
    accountKey: Buffer.from('definitely not the key').toString('base64'),
    blobEndpoint,
    container: TEST_CONTAINER,
    path: uniquePath('wrong-key'),
  });
  const error = await rejection(provider.initialize(), ErrorCode.ACCESS_DENIED);
  assert.equal((error.cause as { statusCode?: number }).statusCode, 403);
  // HEAD requests carry the error code only in a header: mapped the same.
  await rejection(provider.stat('anything'), ErrorCode.ACCESS_DENIED);
  await provider.close();
});

test('a missing container: initialize and every call reject with NOT_FOUND', async () => {
  const provider = new AzureProvider({ connectionString: azurite().connectionString, container: 'no-such-container' });
  const error = await rejection(provider.initialize(), ErrorCode.NOT_FOUND);
  assert.equal((error.cause as { statusCode?: number }).statusCode, 404);
  await rejection(provider.put('x', 'y'), ErrorCode.NOT_FOUND);
  await rejection(provider.write('x', [Buffer.from('y')]), ErrorCode.NOT_FOUND);
  await rejection(provider.get('x'), ErrorCode.NOT_FOUND);
  await rejection(provider.read('x', { range: { offset: 5 } }), ErrorCode.NOT_FOUND);
  // stat is a HEAD: ContainerNotFound only in details.errorCode, still NOT_FOUND.
  await rejection(provider.stat('x'), ErrorCode.NOT_FOUND);
  assert.equal(await provider.exists('x'), false);
  await rejection(
    (async () => {
      for await (const _ of provider.list('')) break;
    })(),
    ErrorCode.NOT_FOUND,
  );
  // A per-call override to a missing container fails the same way.
  const healthy = new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER, path: uniquePath('healthy') });
  await healthy.initialize();
  await rejection(healthy.initialize({ location: { bucket: 'no-such-container' } }), ErrorCode.NOT_FOUND);
  await healthy.close();
  await provider.close();
});

test('an unreachable endpoint: initialize rejects with UNAVAILABLE once the retries ran out', async () => {
  const port = await freePort(); // nobody listens there
  const { accountName, accountKey } = azurite();
  const provider = new AzureProvider({
    accountName,
    accountKey,
    blobEndpoint: `http://127.0.0.1:${port}/devstoreaccount1`,
    container: TEST_CONTAINER,
    retry: { maxTries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
  });
  await rejection(provider.initialize(), ErrorCode.UNAVAILABLE);
  await provider.close();
});

test('an override naming an invalid container is INVALID_ARGUMENT', async () => {
  const provider = new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER });
  await expect(provider.put('x', 'y', { location: { bucket: 'Bad_Name' } })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  await provider.close();
});
