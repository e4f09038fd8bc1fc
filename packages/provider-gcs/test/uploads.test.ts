// Uploads as GCS sees them: chunked resumable sessions for write, one request
// for descriptors, and sessions cancelled when a write fails or is aborted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { connection, emulatorProvider, rawStorage } from './emulator.ts';
import { startProxy, type RecordedRequest } from './http-proxy.ts';

const CHUNK = 256 * 1024;

/** Deterministic bytes in uneven pieces, with their sha256. */
function pieces(total: number): { chunks: Buffer[]; sha256: string } {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  for (let offset = 0, step = 0; offset < total; step++) {
    const size = Math.min(total - offset, 10_000 + ((step * 7919) % 200_000));
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < size; i++) chunk[i] = ((offset + i) * 31 + step) & 0xff;
    hash.update(chunk);
    chunks.push(chunk);
    offset += size;
  }
  return { chunks, sha256: hash.digest('hex') };
}

async function sha256(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A body that yields `before` bytes, then fires `onStall` and trickles on forever. */
async function* stalling(before: number, onStall: () => void): AsyncGenerator<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024, 5);
  for (let sent = 0; sent < before; sent += chunk.byteLength) yield chunk;
  onStall();
  for (;;) {
    await sleep(20);
    yield chunk;
  }
}

const isSessionStart = (request: RecordedRequest): boolean => request.method === 'POST' && request.url.includes('uploadType=resumable');
const sessionRequests = (requests: RecordedRequest[]): RecordedRequest[] => requests.filter((request) => request.url.includes('upload_id='));

/** Waits until the proxy saw every exchange end (the close events trail the client a little; on a loaded machine, seconds). */
async function allEnded(requests: RecordedRequest[]): Promise<boolean> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && requests.some((request) => !request.ended); ) await sleep(20);
  return requests.every((request) => request.ended);
}

test('an object larger than the resumable chunk size round-trips with an equal sha256', async () => {
  const proxy = await startProxy(connection().endpoint);
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, chunkSize: CHUNK });
    const { chunks, sha256: written } = pieces(20 * CHUNK + 12_345);
    const result = await provider.write('multi/chunk-1', chunks);
    assert.equal(result.size, 20 * CHUNK + 12_345);
    assert.equal(await sha256(await provider.read('multi/chunk-1')), written);
    // Behind the provider's back too.
    const raw = rawStorage().bucket(provider.bucket).file(`${provider.root}/multi/chunk-1`);
    assert.equal(await sha256(raw.createReadStream()), written);
    const puts = sessionRequests(proxy.requests).filter((request) => request.method === 'PUT');
    assert.equal(puts.length, 21, 'one request per 256 KiB chunk, the last one short');
  } finally {
    await proxy.close();
  }
});

test('chunkSize 0 streams the whole object in one request', async () => {
  const proxy = await startProxy(connection().endpoint);
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, chunkSize: 0 });
    const { chunks, sha256: written } = pieces(3 * 1024 * 1024 + 7);
    await provider.write('single/chunk-1', chunks);
    assert.equal(await sha256(await provider.read('single/chunk-1')), written);
    assert.equal(sessionRequests(proxy.requests).filter((request) => request.method === 'PUT').length, 1);
  } finally {
    await proxy.close();
  }
});

test('a descriptor goes up in one request; a write through a resumable session', async () => {
  const proxy = await startProxy(connection().endpoint);
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint });
    await provider.put('backup.json', '{"status":"SUCCESS"}');
    assert.deepEqual(
      proxy.requests.map((request) => `${request.method} ${new URL(request.url, 'http://x').searchParams.get('uploadType')}`),
      ['POST multipart'],
    );
    await provider.write('chunk', [Buffer.from('bytes')]);
    assert.equal(proxy.requests.filter(isSessionStart).length, 1);
    // A put too big to be a descriptor is resumable as well, so it can be resumed.
    const large = emulatorProvider({ apiEndpoint: proxy.endpoint, chunkSize: CHUNK, path: provider.root });
    const bytes = Buffer.alloc(2 * CHUNK + 99, 3);
    await large.put('large.bin', bytes);
    assert.equal(proxy.requests.filter(isSessionStart).length, 2);
    assert.deepEqual(await large.get('large.bin'), bytes);
  } finally {
    await proxy.close();
  }
});

// With chunkSize 0 the request in flight is the whole upload: the SDK alone
// would leave it open, waiting for bytes, until the process exits.
test.each([CHUNK, 0])('an aborted write (chunkSize %i) cancels its upload session and leaves no request open', async (chunkSize) => {
  const proxy = await startProxy(connection().endpoint);
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, chunkSize });
    await provider.put('kept', 'previous');
    const controller = new AbortController();
    const write = provider.write(
      'kept',
      stalling(1024 * 1024, () => controller.abort()),
      { signal: controller.signal },
    );
    const error = await write.then(
      () => assert.fail('the write should have been aborted'),
      (reason: unknown) => reason,
    );
    assert.ok(BackupError.is(error, ErrorCode.ABORTED), `expected ABORTED, got ${String(error)}`);

    const start = proxy.requests.find(isSessionStart);
    assert.ok(start, 'the write opened a resumable session');
    const cancel = proxy.requests.find((request) => request.method === 'DELETE' && request.url.includes('upload_id='));
    assert.ok(cancel, 'the session was cancelled with DELETE on its URI');
    // 499 is what GCS answers to a cancelled session. fake-gcs-server answers
    // the same but keeps the session (it would still accept bytes), so the
    // DELETE is what this test can prove; on GCS it frees the session.
    assert.equal(cancel.status, 499);
    assert.ok(await allEnded(proxy.requests), 'an upload request is still open after the write rejected');
    assert.equal((await provider.get('kept')).toString(), 'previous');
  } finally {
    await proxy.close();
  }
});

test('a write whose body fails cancels its session and reports the body error', async () => {
  const proxy = await startProxy(connection().endpoint);
  try {
    const provider = emulatorProvider({ apiEndpoint: proxy.endpoint, chunkSize: CHUNK });
    const failure = new Error('tar stream broke');
    async function* failing(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 12; i++) yield Buffer.alloc(64 * 1024, i);
      await sleep(50); // let the first chunks go up
      throw failure;
    }
    const error = await provider.write('broken', failing()).then(
      () => assert.fail('the write should have failed'),
      (reason: unknown) => reason,
    );
    assert.ok(BackupError.is(error) && error.code !== ErrorCode.ABORTED, `expected a BackupError, got ${String(error)}`);
    assert.equal(error.cause, failure);
    assert.ok(
      sessionRequests(proxy.requests).some((request) => request.method === 'PUT'),
      'chunks had gone up',
    );
    assert.ok(proxy.requests.some((request) => request.method === 'DELETE' && request.status === 499));
    assert.ok(await allEnded(proxy.requests));
    assert.equal(await provider.exists('broken'), false);
  } finally {
    await proxy.close();
  }
});
