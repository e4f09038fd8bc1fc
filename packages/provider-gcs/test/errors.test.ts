// How failures reach callers: codes, messages that name what to fix, causes.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { GcsProvider } from '../src/index.ts';
import { connection, emulatorProvider } from './emulator.ts';
import { startProxy } from './http-proxy.ts';

async function outcomeOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<BackupError> {
  const promise = typeof call === 'function' ? call() : call;
  const outcome = await promise.then(
    () => assert.fail('the call should have failed'),
    (error: unknown) => error,
  );
  assert.ok(BackupError.is(outcome), `expected a BackupError, got ${String(outcome)}`);
  return outcome;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _item of stream) {
    // consume
  }
}

// Retries as the SDK does them, with delays short enough for a test (its
// upload retries wait at least a second, whatever the settings).
const quickRetries = { maxRetries: 2, retryDelayMultiplier: 1.1, maxRetryDelay: 1, totalTimeout: 30 };

test('a missing bucket is NOT_FOUND, and the message names the bucket', async () => {
  const provider = emulatorProvider({ bucket: 'no-such-bucket-here' });
  for (const [what, call] of [
    ['initialize', () => provider.initialize()],
    ['put', () => provider.put('a', 'x')],
    ['write', () => provider.write('a', [Buffer.from('x')])],
    ['list', () => drain(provider.list(''))],
  ] as const) {
    const error = await outcomeOf(call);
    assert.equal(error.code, ErrorCode.NOT_FOUND, `${what}: ${error.message}`);
    assert.match(error.message, /no-such-bucket-here/, what);
    assert.ok(error.cause !== undefined, `${what} keeps the SDK error as cause`);
  }
  assert.equal((await outcomeOf(provider.get('a'))).code, ErrorCode.NOT_FOUND);
  assert.equal((await outcomeOf(provider.read('a'))).code, ErrorCode.NOT_FOUND);
  assert.equal(await provider.exists('a'), false);
});

test('a bucket override that does not exist is NOT_FOUND too', async () => {
  const provider = emulatorProvider();
  const location = { bucket: 'missing-override-bucket' };
  const error = await outcomeOf(provider.initialize({ location }));
  assert.equal(error.code, ErrorCode.NOT_FOUND);
  assert.match(error.message, /missing-override-bucket/);
  await provider.initialize(); // the configured bucket is fine
});

// fake-gcs-server has no authentication and never answers 401/403, 429 or
// 5xx; a proxy in front of it gives those answers for the requests below.

test('403 and 401 answers are ACCESS_DENIED, for every kind of call', async () => {
  for (const status of [401, 403]) {
    const proxy = await startProxy(connection().endpoint, {
      intercept: () => ({ status, body: { error: { code: status, message: 'Permission denied', errors: [{ reason: 'forbidden' }] } } }),
    });
    try {
      const provider = emulatorProvider({ apiEndpoint: proxy.endpoint });
      for (const call of [
        () => provider.initialize(),
        () => provider.put('a', 'x'),
        () => provider.write('a', [Buffer.from('x')]),
        () => provider.get('a'),
        () => provider.read('a'),
        () => provider.stat('a'),
        () => provider.delete('a'),
        () => drain(provider.list('')),
      ]) {
        const error = await outcomeOf(call);
        assert.equal(error.code, ErrorCode.ACCESS_DENIED, `${status}: ${error.message}`);
        assert.equal((error.cause as { code?: unknown }).code, status);
      }
    } finally {
      await proxy.close();
    }
  }
});

test('503 answers are retried with backoff, then UNAVAILABLE', { timeout: 60_000 }, async () => {
  const proxy = await startProxy(connection().endpoint, {
    intercept: () => ({ status: 503, body: { error: { code: 503, message: 'Backend Error' } } }),
  });
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, retryOptions: quickRetries });
    for (const [what, call] of [
      ['get', () => provider.get('a')],
      ['read', () => provider.read('a')],
      ['stat', () => provider.stat('a')],
      ['put', () => provider.put('a', 'x')],
      ['write', () => provider.write('a', [Buffer.from('x')])],
      ['delete', () => provider.delete('a')],
    ] as const) {
      const before = proxy.requests.length;
      const error = await outcomeOf(call());
      assert.equal(error.code, ErrorCode.UNAVAILABLE, `${what}: ${error.message}`);
      assert.equal(proxy.requests.length - before, 1 + quickRetries.maxRetries, `${what}: one try and two retries`);
    }
  } finally {
    await proxy.close();
  }
});

test('transient 503s are retried away, uploads included, chunk by chunk', { timeout: 60_000 }, async () => {
  let requests = 0;
  let failures = 0;
  const proxy = await startProxy(connection().endpoint, {
    answerStatusQueries: true,
    // Every other request fails, so each one succeeds when retried.
    intercept: () => {
      if (requests++ % 2 === 1) return undefined;
      failures++;
      return { status: 503, body: { error: { code: 503, message: 'Backend Error' } } };
    },
  });
  try {
    // The SDK counts retries per upload, not per chunk.
    const retryOptions = { ...quickRetries, maxRetries: 10 };
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, retryOptions, chunkSize: 256 * 1024 });
    const body = Buffer.alloc(3 * 256 * 1024 + 1000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    await provider.put('descriptor.json', '{"ok":true}');
    await provider.write('chunk', [body]);
    assert.equal((await provider.get('descriptor.json')).toString(), '{"ok":true}');
    assert.deepEqual(await provider.get('chunk'), body);
    const tail: Buffer[] = [];
    for await (const bytes of await provider.read('chunk', { range: { offset: 1000 } })) tail.push(bytes as Buffer);
    assert.deepEqual(Buffer.concat(tail), body.subarray(1000));
    const chunkUploads = proxy.requests.filter((request) => request.method === 'PUT' && request.status === 503);
    assert.ok(chunkUploads.length >= 2, 'chunk uploads failed and were resumed');
    assert.ok(failures >= 8, `the proxy failed ${failures} requests`);
  } finally {
    await proxy.close();
  }
});

test('an endpoint nobody listens on is UNAVAILABLE', { timeout: 60_000 }, async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const provider = new GcsProvider({ bucket: 'b', useAuth: false, apiEndpoint: `http://127.0.0.1:${port}`, retryOptions: quickRetries });
  assert.equal((await outcomeOf(provider.get('a'))).code, ErrorCode.UNAVAILABLE);
  assert.equal((await outcomeOf(provider.write('a', [Buffer.from('x')]))).code, ErrorCode.UNAVAILABLE);
});

test('whole reads are checked against the CRC32C: corrupted bytes are CORRUPT', async () => {
  const writer = emulatorProvider();
  await writer.write('chunk', [Buffer.alloc(300 * 1024, 9)]);
  const proxy = await startProxy(connection().endpoint, { corruptDownloads: true });
  try {
    const reader = emulatorProvider({ apiEndpoint: proxy.endpoint, path: writer.root });
    assert.equal((await outcomeOf(reader.get('chunk'))).code, ErrorCode.CORRUPT);
    assert.equal((await outcomeOf(async () => await drain(await reader.read('chunk')))).code, ErrorCode.CORRUPT);
    // A range cannot be checked (the checksum covers the whole object): it is delivered as read.
    const ranged = await reader.read('chunk', { range: { offset: 0, length: 10 } });
    const bytes: Buffer[] = [];
    for await (const chunk of ranged) bytes.push(chunk as Buffer);
    assert.equal(Buffer.concat(bytes)[0], 9 ^ 0xff);
  } finally {
    await proxy.close();
  }
});
