// Multipart uploads on MinIO: objects of several parts round-trip, and a
// write that is aborted or whose body fails leaves no upload or part behind.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, test } from 'vitest';
import { BackupError, ErrorCode, joinKey } from '@backup/core';
import type { S3Provider } from '../src/index.ts';
import { partPlan } from '../src/upload.ts';
import { minioProvider, pendingUploads, rawClient } from './minio.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const client = rawClient();
afterAll(() => client.destroy());

/** Deterministic bytes in uneven chunks, hashed as they are produced. */
function* patterned(size: number, hash = createHash('sha256')): Generator<Buffer> {
  let produced = 0;
  for (let step = 1; produced < size; step++) {
    const length = Math.min(((step * 7919) % (900 * 1024)) + 1, size - produced);
    const chunk = Buffer.alloc(length, step & 0xff);
    hash.update(chunk);
    produced += length;
    yield chunk;
  }
}

async function sha256(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function fullKey(provider: S3Provider, key: string): string {
  return joinKey(provider.options.path, key);
}

/** Resolves once the multipart upload of `key` has stored at least `parts` parts. */
async function partsStored(provider: S3Provider, key: string, parts: number): Promise<void> {
  const Key = fullKey(provider, key);
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(20)) {
    // MinIO lists multipart uploads by exact key only, which is what we have here.
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: provider.bucket, Prefix: Key }));
    const upload = uploads.Uploads?.find((candidate) => candidate.Key === Key);
    if (upload === undefined) continue;
    const listed = await client.send(new ListPartsCommand({ Bucket: provider.bucket, Key, UploadId: upload.UploadId }));
    if ((listed.Parts?.length ?? 0) >= parts) return;
  }
  throw new Error(`the upload of ${key} never stored ${parts} parts`);
}

/** A body that yields `before` bytes, then waits until `release` settles and fails with its reason. */
async function* stalling(before: number, release: Promise<never>): AsyncGenerator<Uint8Array> {
  yield* patterned(before);
  await release;
}

describe('multipart', () => {
  test('an object of three parts round-trips with an equal sha256, and S3 holds it as three parts', async () => {
    const provider = minioProvider({ partSize: PART });
    try {
      const size = 2 * PART + 123_457;
      const written = createHash('sha256');
      const result = await provider.write('three-parts/chunk-1', patterned(size, written));
      expect(result.size).toBe(size);
      expect(await sha256(await provider.read('three-parts/chunk-1'))).toBe(written.digest('hex'));
      // A multipart object's ETag ends in -<parts>.
      const head = await client.send(new HeadObjectCommand({ Bucket: provider.bucket, Key: fullKey(provider, 'three-parts/chunk-1') }));
      expect(head.ETag).toMatch(/-3"$/);
      // A ranged read across the part boundaries gets exactly those bytes.
      const whole = Buffer.concat([...patterned(size)]);
      const ranged = await readAll(await provider.read('three-parts/chunk-1', { range: { offset: PART - 10, length: PART + 20 } }));
      expect(ranged.equals(whole.subarray(PART - 10, 2 * PART + 10))).toBe(true);
    } finally {
      await provider.close();
    }
  });

  test('a body of exactly two parts is stored whole', async () => {
    const provider = minioProvider({ partSize: PART });
    try {
      const written = createHash('sha256');
      expect((await provider.write('exact', patterned(2 * PART, written))).size).toBe(2 * PART);
      expect(await sha256(await provider.read('exact'))).toBe(written.digest('hex'));
    } finally {
      await provider.close();
    }
  });

  test('an abort after two stored parts rejects with ABORTED and leaves no upload, part or object', async () => {
    const provider = minioProvider({ partSize: PART, queueSize: 2 });
    try {
      const controller = new AbortController();
      let stop!: (reason: Error) => void;
      const release = new Promise<never>((_, reject) => (stop = reject));
      release.catch(() => {});
      const write = provider.write('aborted/chunk-1', stalling(3 * PART, release), { signal: controller.signal });
      const outcome = write.then(
        () => undefined,
        (error: unknown) => error,
      );
      await partsStored(provider, 'aborted/chunk-1', 2);
      controller.abort();
      const error = await outcome;
      stop(new Error('test over'));
      expect(BackupError.is(error, ErrorCode.ABORTED), `expected ABORTED, got ${String(error)}`).toBe(true);
      expect(await pendingUploads(client, provider.bucket, `${provider.options.path}/`)).toEqual([]);
      expect(await provider.exists('aborted/chunk-1')).toBe(false);
    } finally {
      await provider.close();
    }
  });

  test('a body that fails after two parts rejects with its own error as cause and leaves no upload', async () => {
    const provider = minioProvider({ partSize: PART, queueSize: 2 });
    try {
      const failure = new Error('tar stream broke');
      let fail!: (reason: Error) => void;
      const release = new Promise<never>((_, reject) => (fail = reject));
      const outcome = provider.write('failed/chunk-1', stalling(3 * PART, release)).then(
        () => undefined,
        (error: unknown) => error,
      );
      await partsStored(provider, 'failed/chunk-1', 2);
      fail(failure);
      const error = await outcome;
      expect(BackupError.is(error), `expected a BackupError, got ${String(error)}`).toBe(true);
      expect((error as BackupError).code).not.toBe(ErrorCode.ABORTED);
      expect((error as BackupError).cause).toBe(failure);
      expect(await pendingUploads(client, provider.bucket, `${provider.options.path}/`)).toEqual([]);
      expect(await provider.exists('failed/chunk-1')).toBe(false);
    } finally {
      await provider.close();
    }
  });
});

describe('part plan', () => {
  test('without a size hint, or one that fits in 10 000 parts, the configured sizes apply', () => {
    expect(partPlan({ partSize: 8 * MiB, queueSize: 4, sizeHint: undefined })).toEqual({ partSize: 8 * MiB, queueSize: 4 });
    expect(partPlan({ partSize: 8 * MiB, queueSize: 4, sizeHint: 8 * MiB * 10_000 })).toEqual({ partSize: 8 * MiB, queueSize: 4 });
  });

  test('a larger hint grows parts to fit in 10 000, and shrinks the queue so memory stays near partSize × queueSize', () => {
    const plan = partPlan({ partSize: 8 * MiB, queueSize: 4, sizeHint: 200 * 1024 * MiB });
    expect(plan.partSize * 10_000).toBeGreaterThanOrEqual(200 * 1024 * MiB);
    expect(plan.partSize % MiB).toBe(0);
    expect(plan.queueSize).toBe(1);
    const huge = partPlan({ partSize: 8 * MiB, queueSize: 4, sizeHint: 5 * 1024 * 1024 * MiB });
    expect(huge.partSize).toBeLessThanOrEqual(5 * 1024 * MiB);
  });
});

describe('deletePrefix', () => {
  test('aborts multipart uploads that a crashed process left below the prefix, and only those', async () => {
    const provider = minioProvider({ partSize: PART });
    try {
      // What a process killed mid-upload leaves: an upload with a stored part, never completed.
      async function abandonUpload(key: string): Promise<void> {
        const Key = fullKey(provider, key);
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: provider.bucket, Key }));
        await client.send(new UploadPartCommand({ Bucket: provider.bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(PART, 1) }));
      }
      await abandonUpload('failed-backup/node1/Class/chunk-7');
      await abandonUpload('other-backup/node1/Class/chunk-1');
      await provider.put('failed-backup/backup_config.json', '{}');

      expect(await provider.deletePrefix('failed-backup/')).toBe(1);

      const left = await pendingUploads(client, provider.bucket, provider.options.path);
      expect(left.join('\n')).not.toContain('failed-backup/');
      expect(left.join('\n')).toContain('other-backup/node1/Class/chunk-1');
    } finally {
      await provider.deletePrefix('other-backup/');
      await provider.close();
    }
  });
});
