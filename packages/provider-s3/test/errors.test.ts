// What users see when something is wrong: bad credentials, a missing bucket,
// an endpoint that is down or throttling. Each failure is a stable code with
// the SDK's error as its cause.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { freePort } from '@backup/test-emulators';
import type { S3Provider } from '../src/index.ts';
import { connection, minioProvider } from './minio.ts';

const opened: S3Provider[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((provider) => provider.close()));
});

function provider(...args: Parameters<typeof minioProvider>): S3Provider {
  const created = minioProvider(...args);
  opened.push(created);
  return created;
}

async function failureOf(promise: Promise<unknown>): Promise<BackupError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, 'the call should have failed').toBeDefined();
  expect(BackupError.is(outcome), `expected a BackupError, got ${String(outcome)}`).toBe(true);
  return outcome as BackupError;
}

function causeName(error: BackupError): string {
  return (error.cause as Error | undefined)?.name ?? '';
}

describe('credentials', () => {
  test('a wrong secret key: initialize rejects with ACCESS_DENIED', async () => {
    const s3 = connection();
    const wrong = provider({ credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: `${s3.secretAccessKey}-wrong` } });
    const error = await failureOf(wrong.initialize());
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED);
    expect(causeName(error)).toBe('SignatureDoesNotMatch');
  });

  test('an unknown access key id: initialize and every other call reject with ACCESS_DENIED', async () => {
    const wrong = provider({ credentials: { accessKeyId: 'nobody-knows-me', secretAccessKey: 'whatever-secret' } });
    const error = await failureOf(wrong.initialize());
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED);
    expect(causeName(error)).toBe('InvalidAccessKeyId');
    expect((await failureOf(wrong.get('x'))).code).toBe(ErrorCode.ACCESS_DENIED);
    // HEAD answers carry no body: only the 403 tells.
    expect((await failureOf(wrong.stat('x'))).code).toBe(ErrorCode.ACCESS_DENIED);
    expect((await failureOf(wrong.write('x', [Buffer.from('x')]))).code).toBe(ErrorCode.ACCESS_DENIED);
  });
});

describe('missing bucket', () => {
  test('initialize, put, write and list reject with NOT_FOUND, caused by NoSuchBucket', async () => {
    const missing = provider({ bucket: `no-such-bucket-${Date.now().toString(36)}` });
    const error = await failureOf(missing.initialize());
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
    expect(causeName(error)).toBe('NoSuchBucket');
    expect((await failureOf(missing.put('a', 'a'))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await failureOf(missing.write('b', [Buffer.from('b')]))).code).toBe(ErrorCode.NOT_FOUND);
    const listing = (async () => {
      for await (const _info of missing.list('')) return;
    })();
    expect((await failureOf(listing)).code).toBe(ErrorCode.NOT_FOUND);
  });

  test('a multi-part write to a missing bucket reports NOT_FOUND, not a cleanup error', async () => {
    const missing = provider({ bucket: `no-such-bucket-${Date.now().toString(36)}`, partSize: 5 * 1024 * 1024 });
    const body = Array.from({ length: 3 }, () => Buffer.alloc(4 * 1024 * 1024, 1));
    const error = await failureOf(missing.write('big', body));
    expect(error.code).toBe(ErrorCode.NOT_FOUND);
    expect(causeName(error)).toBe('NoSuchBucket');
  });
});

describe('unreachable or overloaded endpoint', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  test('nothing listening at the endpoint: initialize rejects with UNAVAILABLE', async () => {
    const port = await freePort();
    const down = provider({ endpoint: `127.0.0.1:${port}`, maxAttempts: 2 });
    const error = await failureOf(down.initialize());
    expect(error.code).toBe(ErrorCode.UNAVAILABLE);
  });

  test('https to a plain-http endpoint (BACKUP_S3_USE_SSL left on for MinIO): initialize rejects with UNAVAILABLE', async () => {
    const tls = provider({ useSSL: true, maxAttempts: 1 });
    const error = await failureOf(tls.initialize());
    expect(error.code).toBe(ErrorCode.UNAVAILABLE);
  });

  // MinIO cannot be made to throttle on demand, so a local HTTP server plays an
  // S3 endpoint that answers every request with 503 SlowDown, as S3 does when
  // throttling; it counts the attempts the SDK's retry strategy makes.
  test('throttling (503 SlowDown) is retried maxAttempts times, then UNAVAILABLE', async () => {
    let requests = 0;
    server = createServer((request, response) => {
      requests++;
      request.resume();
      response.writeHead(503, { 'content-type': 'application/xml' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const throttled = provider({ endpoint: `127.0.0.1:${port}`, maxAttempts: 3 });
    const error = await failureOf(throttled.get('backup-1/backup_config.json'));
    expect(error.code).toBe(ErrorCode.UNAVAILABLE);
    expect(causeName(error)).toBe('SlowDown');
    expect(requests).toBe(3);
  });

  test('a 500 InternalError that persists is UNAVAILABLE too', async () => {
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(500, { 'content-type': 'application/xml' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>boom</Message></Error>');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const failing = provider({ endpoint: `127.0.0.1:${port}`, maxAttempts: 2 });
    expect((await failureOf(failing.put('a', 'a'))).code).toBe(ErrorCode.UNAVAILABLE);
  });
});
