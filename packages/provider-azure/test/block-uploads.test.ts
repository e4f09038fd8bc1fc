// Streaming writes as block blobs: several blocks round-trip, and failed or aborted
// writes never commit. Their staged blocks stay behind, hidden, which is why the
// manifest says abortCleansUp: false (Azure drops them after 7 days).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { Readable } from 'node:stream';
import { AzureProvider } from '../src/index.ts';
import { stageBlocksWith } from '../src/abortable-staging.ts';
import { ALTERNATE_CONTAINER, TEST_CONTAINER, adminClient, azurite, ensureContainers, rawBlobs, uniquePath } from './azurite.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

beforeAll(() => ensureContainers(TEST_CONTAINER, ALTERNATE_CONTAINER));

function smallBlocks(path = uniquePath('blocks')): AzureProvider {
  return new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER, path, blockSize: 256 * KiB, uploadConcurrency: 2 });
}

/** Deterministic bytes in odd-sized chunks; `sha256` covers everything yielded. */
function deterministicBody(size: number): { body: AsyncIterable<Uint8Array>; sha256: () => string; bytes: () => Buffer } {
  const hash = createHash('sha256');
  const all: Buffer[] = [];
  async function* body(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    for (let step = 1; sent < size; step++) {
      const length = Math.min(size - sent, 1 + ((step * 48_271) % (300 * KiB)));
      const chunk = Buffer.alloc(length);
      for (let i = 0; i < length; i++) chunk[i] = (sent + i) * 131 + step;
      hash.update(chunk);
      all.push(chunk);
      sent += length;
      yield chunk;
    }
  }
  return { body: body(), sha256: () => hash.copy().digest('hex'), bytes: () => Buffer.concat(all) };
}

async function stagedBlocks(provider: AzureProvider, key: string): Promise<number> {
  const blob = adminClient().getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${provider.path}/${key}`);
  try {
    return (await blob.getBlockList('uncommitted')).uncommittedBlocks?.length ?? 0;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return 0;
    throw error;
  }
}

/** Yields 1 MiB, then waits until Azure holds staged blocks of `key`, then calls `then` and stalls. */
async function* bodyThatStagesThen(provider: AzureProvider, key: string, then: () => void | never): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 4; i++) yield Buffer.alloc(256 * KiB, i);
  const deadline = Date.now() + 30_000; // Azurite on a loaded machine can take seconds
  while ((await stagedBlocks(provider, key)) === 0) {
    if (Date.now() > deadline) throw new Error('no block was staged within 30 s');
    await sleep(20);
  }
  then();
  for (;;) {
    await sleep(20);
    yield Buffer.alloc(KiB);
  }
}

test('an object of many blocks round-trips with an equal sha256, and ranges cross block boundaries', async () => {
  const provider = smallBlocks();
  const size = 5 * MiB + 12_345; // 21 blocks of 256 KiB
  const source = deterministicBody(size);
  const result = await provider.write('backup-1/node1/chunk-1', source.body);
  assert.equal(result.size, size);

  const blob = adminClient().getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${provider.path}/backup-1/node1/chunk-1`);
  const blocks = await blob.getBlockList('committed');
  assert.equal(blocks.committedBlocks?.length, Math.ceil(size / (256 * KiB)), 'the blob should be made of 256 KiB blocks');

  const stored = createHash('sha256');
  let read = 0;
  for await (const chunk of await provider.read('backup-1/node1/chunk-1')) {
    stored.update(chunk as Buffer);
    read += (chunk as Buffer).byteLength;
  }
  assert.equal(read, size);
  assert.equal(stored.digest('hex'), source.sha256());

  const across = await provider.read('backup-1/node1/chunk-1', { range: { offset: 256 * KiB - 10, length: 512 * KiB } });
  const parts: Buffer[] = [];
  for await (const chunk of across) parts.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(parts), source.bytes().subarray(256 * KiB - 10, 256 * KiB - 10 + 512 * KiB));
  await provider.close();
});

test('a sizeHint too large for 50,000 configured blocks picks larger blocks', async () => {
  const provider = new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER, path: uniquePath('hint'), blockSize: KiB });
  // 1 KiB × 50,000 blocks is under 100 MiB: the hint asks for ceil(100 MiB / 50,000) rounded up to 1 MiB.
  await provider.write('chunk', deterministicBody(3 * MiB).body, { sizeHint: 100 * MiB });
  const blob = adminClient().getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${provider.path}/chunk`);
  assert.equal((await blob.getBlockList('committed')).committedBlocks?.length, 3);
  // Without a hint, the configured size holds.
  await provider.write('small', [Buffer.alloc(3 * KiB)]);
  const small = adminClient().getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${provider.path}/small`);
  assert.equal((await small.getBlockList('committed')).committedBlocks?.length, 3);
  await provider.close();
});

test('an aborted write of a new blob: ABORTED, nothing listed, its staged blocks stay hidden', async () => {
  const provider = smallBlocks();
  const controller = new AbortController();
  const write = provider.write(
    'backup-1/chunk-1',
    bodyThatStagesThen(provider, 'backup-1/chunk-1', () => controller.abort()),
    {
      signal: controller.signal,
    },
  );
  await assert.rejects(write, (error: unknown) => BackupError.is(error, ErrorCode.ABORTED));
  assert.equal(await provider.exists('backup-1/chunk-1'), false);
  const listed: string[] = [];
  for await (const info of provider.list('')) listed.push(info.key);
  assert.deepEqual(listed, []);
  // The honest part of `abortCleansUp: false`: Azure keeps the uncommitted blob.
  assert.deepEqual(await rawBlobs(TEST_CONTAINER, provider.path), ['backup-1/chunk-1']);
  assert.ok((await stagedBlocks(provider, 'backup-1/chunk-1')) > 0);
  assert.equal(provider.capabilities.abortCleansUp, false);

  // Leftover blocks do not get in the way of the next write, which discards them.
  await provider.write('backup-1/chunk-1', [Buffer.from('second attempt')]);
  assert.equal((await provider.get('backup-1/chunk-1')).toString(), 'second attempt');
  assert.equal(await stagedBlocks(provider, 'backup-1/chunk-1'), 0);
  await provider.close();
});

test('a body failing after blocks were staged: its own error, and the previous blob intact', async () => {
  const provider = smallBlocks();
  await provider.write('backup.json', [Buffer.from('previous')]);
  const failure = new Error('tar stream broke');
  const write = provider.write(
    'backup.json',
    bodyThatStagesThen(provider, 'backup.json', () => {
      throw failure;
    }),
  );
  const error = await write.then(
    () => assert.fail('the write should fail'),
    (reason: unknown) => reason,
  );
  assert.ok(BackupError.is(error, ErrorCode.IO), `expected IO, got ${String(error)}`);
  assert.equal(error.cause, failure);
  assert.equal((await provider.get('backup.json')).toString(), 'previous');
  assert.equal((await provider.stat('backup.json')).size, 8);
  await provider.close();
});

test('an aborted overwrite rejects promptly, and the previous blob stays readable', async () => {
  const provider = smallBlocks();
  await provider.put('backup.json', 'previous');
  const controller = new AbortController();
  let abortedAt = 0;
  const write = provider.write(
    'backup.json',
    bodyThatStagesThen(provider, 'backup.json', () => {
      abortedAt = Date.now();
      controller.abort();
    }),
    { signal: controller.signal },
  );
  await assert.rejects(write, (error: unknown) => BackupError.is(error, ErrorCode.ABORTED));
  assert.ok(Date.now() - abortedAt < 1_000, 'the write should reject within a second of the abort');
  assert.equal((await provider.get('backup.json')).toString(), 'previous');
  await provider.close();
});

test('a cancelled write cancels its block uploads too, not only the final commit', async () => {
  // The SDK gives uploadStream's abortSignal only to Put Block List. If it ever
  // stops staging through this.stageBlock, blocks would reach Azure here.
  const path = uniquePath('staging');
  const blob = adminClient().getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${path}/chunk`);
  const controller = new AbortController();
  controller.abort(new Error('cancelled'));
  const upload = stageBlocksWith(blob, controller.signal).uploadStream(Readable.from([Buffer.alloc(600 * KiB, 1)]), 256 * KiB, 2, {
    abortSignal: controller.signal,
  });
  await assert.rejects(upload);
  await sleep(200);
  assert.deepEqual(await rawBlobs(TEST_CONTAINER, path), [], 'no block may have been staged');
});

test('deletePrefix removes a failed backup, the staged blocks of its aborted writes included', async () => {
  const provider = smallBlocks();
  await provider.put('failed-backup/backup_config.json', '{}');
  await provider.put('failed-backup-2/backup_config.json', '{}');
  const controller = new AbortController();
  const write = provider.write(
    'failed-backup/node1/chunk-1',
    bodyThatStagesThen(provider, 'failed-backup/node1/chunk-1', () => controller.abort()),
    {
      signal: controller.signal,
    },
  );
  await assert.rejects(write, (error: unknown) => BackupError.is(error, ErrorCode.ABORTED));
  assert.ok((await stagedBlocks(provider, 'failed-backup/node1/chunk-1')) > 0, 'the aborted write should have left staged blocks');

  assert.equal(await provider.deletePrefix('failed-backup/'), 1, 'only visible objects are counted');
  await sleep(200); // nothing of the aborted write may land late
  assert.deepEqual(await rawBlobs(TEST_CONTAINER, provider.path), ['failed-backup-2/backup_config.json']);
  await provider.close();
});

test('homeDir is the container URL, the root path and the id; overrides change it', () => {
  const { blobEndpoint, connectionString } = azurite();
  const provider = new AzureProvider({ connectionString, container: TEST_CONTAINER, path: 'weaviate/backups' });
  assert.equal(provider.homeDir('backup-1'), `${blobEndpoint}/${TEST_CONTAINER}/weaviate/backups/backup-1`);
  assert.equal(provider.homeDir('backup-1', { bucket: ALTERNATE_CONTAINER, path: '/other/' }), `${blobEndpoint}/${ALTERNATE_CONTAINER}/other/backup-1`);
  assert.equal(provider.homeDir('backup-1', { path: '' }), `${blobEndpoint}/${TEST_CONTAINER}/backup-1`);
  const cloud = new AzureProvider({ accountName: 'acct', accountKey: 'a2V5', container: 'backups' });
  assert.equal(cloud.homeDir('b'), 'https://acct.blob.core.windows.net/backups/b');
});

test('the manifest declares Azure block limits and the configured block size and concurrency', () => {
  const provider = new AzureProvider({
    connectionString: azurite().connectionString,
    container: TEST_CONTAINER,
    blockSize: 16 * MiB,
    uploadConcurrency: 3,
    listPageSize: 100,
  });
  assert.deepEqual(provider.capabilities.multipart, { partSize: 16 * MiB, queueSize: 3 });
  assert.equal(provider.capabilities.maxObjectSize, 16 * MiB * 50_000);
  assert.equal(provider.capabilities.listPageSize, 100);
  assert.ok(Object.isFrozen(provider.capabilities) && Object.isFrozen(provider.capabilities.multipart));
  assert.throws(
    () => new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER, blockSize: 4001 * MiB }),
    (e: unknown) => BackupError.is(e, ErrorCode.INVALID_ARGUMENT),
  );
  assert.throws(
    () => new AzureProvider({ connectionString: azurite().connectionString, container: TEST_CONTAINER, listPageSize: 5001 }),
    (e: unknown) => BackupError.is(e, ErrorCode.INVALID_ARGUMENT),
  );
});
