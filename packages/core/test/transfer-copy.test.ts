import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import {
  BackupEngine,
  BackupError,
  BackupStatus,
  ErrorCode,
  copyBackup,
  verifyBackup,
  type CallOptions,
  type CopyProgress,
  type NodeDescriptor,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '../src/index.ts';
import { DirectoryBackupSource, listFiles } from './fixtures/directory-source.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, treeDigest, waitFor } from './fixtures/scratch.ts';

const COLLECTIONS = ['Article', 'Author', 'Comment', 'Review'];

let harness: Harness;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await harness?.cleanup();
});

/** Four collections (shards never share chunks: at least four chunks), one with a file of several chunks' worth. */
async function seed(h: Harness): Promise<void> {
  for (const [index, name] of COLLECTIONS.entries()) {
    await h.source.createCollection({ name, multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await h.source.writeFile(name, 's0/000001.seg', sampleBytes(200_000 + index * 10_000, 0));
    await h.source.writeFile(name, 's0/meta.json', JSON.stringify({ name }));
  }
  await h.source.writeFile('Review', 's0/000002.seg', sampleBytes(3_600_000, 0)); // two parts: 2 MiB and 1.5 MB
}

async function backUp(h: Harness, id: string): Promise<void> {
  await h.engine.createBackup({ backend: 'filesystem', id, config: { chunkSizeMb: 2, compressionLevel: 'NoCompression' } });
  expect(await h.waitForBackup(id)).toBe(BackupStatus.SUCCESS);
}

async function nodeDescriptor(root: string, id: string): Promise<NodeDescriptor> {
  return JSON.parse(await readFile(join(root, id, 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
}

async function flipByte(root: string, key: string, offset = 100): Promise<void> {
  const path = join(root, ...key.split('/'));
  const bytes = await readFile(path);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
}

/** A destination that records the order in which objects became visible. */
class RecordingProvider extends FilesystemProvider {
  readonly visible: string[] = [];

  override async put(key: string, data: Uint8Array | string, options?: CallOptions): Promise<void> {
    await super.put(key, data, options);
    this.visible.push(key);
  }

  override async write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult> {
    const result = await super.write(key, body, options);
    this.visible.push(key);
    return result;
  }
}

function destination(h: Harness, name = 'elsewhere'): RecordingProvider {
  const provider = new RecordingProvider({ path: join(h.dir, name) });
  closers.push(() => provider.close());
  return provider;
}

/** Restores `id` from `provider` on a fresh node and returns its collections' file digests. */
async function restoreElsewhere(h: Harness, provider: FilesystemProvider, id: string, nodeName = 'node1') {
  const source = new DirectoryBackupSource(join(h.dir, `restored-${nodeName}-${Math.random().toString(36).slice(2)}`), nodeName);
  const engine = new BackupEngine({ source, providers: { filesystem: provider }, stateDir: join(source.root, '.state'), cpuCount: 2 });
  await engine.start();
  closers.push(() => engine.close());
  await engine.restore({ backend: 'filesystem', id, ...(nodeName !== 'node1' ? { nodeMapping: { node1: nodeName } } : {}) });
  const status = await waitFor(`restore of ${id}`, async () => {
    const report = await engine.restoreStatus('filesystem', id);
    return report.status === 'SUCCESS' || report.status === 'FAILED' ? report : undefined;
  });
  expect(status.error).toBe('');
  return await digests(source);
}

async function digests(source: DirectoryBackupSource): Promise<Record<string, Record<string, string>>> {
  const result: Record<string, Record<string, string>> = {};
  for (const name of COLLECTIONS) result[name] = await treeDigest(source.collectionDir(name));
  return result;
}

async function rejection(promise: Promise<unknown>): Promise<BackupError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(BackupError.is(error), `expected a BackupError, got ${String(error)}`).toBe(true);
  return error as BackupError;
}

describe('copyBackup', { timeout: 120_000 }, () => {
  test('copies every object byte for byte, descriptors last, and the copy restores identical collections', async () => {
    harness = await createHarness('copy');
    await seed(harness);
    await backUp(harness, 'nightly');
    const to = destination(harness);
    const progress: CopyProgress[] = [];

    const result = await copyBackup({ id: 'nightly', from: { provider: harness.provider }, to: { provider: to }, onProgress: (p) => progress.push(p) });

    const node = await nodeDescriptor(harness.backupRoot, 'nightly');
    const chunks = node.collections.flatMap((collection) => collection.chunks);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(result).toMatchObject({ id: 'nightly', from: join(harness.backupRoot, 'nightly'), to: join(harness.dir, 'elsewhere', 'nightly') });
    expect(result.copied).toBe(chunks.length);
    expect(result.skipped).toBe(0);
    expect(result.bytesCopied).toBe(chunks.reduce((sum, chunk) => sum + chunk.size, 0));
    expect(progress.at(-1)).toEqual({
      objects: chunks.length + 2,
      objectsDone: chunks.length + 2,
      objectsSkipped: 0,
      bytes: result.bytes,
      bytesDone: result.bytes,
    });

    // Every chunk and the node descriptor are identical; the global descriptor names its new backend.
    const copied = await treeDigest(join(harness.dir, 'elsewhere', 'nightly'));
    const original = await treeDigest(join(harness.backupRoot, 'nightly'));
    expect(Object.keys(copied).sort()).toEqual(Object.keys(original).sort());
    for (const key of Object.keys(original)) if (key !== 'backup_config.json') expect(copied[key], key).toBe(original[key]);

    // Nothing made the destination look complete before every chunk was there.
    expect(to.visible.slice(-2)).toEqual(['nightly/node1/backup.json', 'nightly/backup_config.json']);
    expect(new Set(to.visible.slice(0, -2))).toEqual(new Set(chunks.map((chunk) => chunk.key)));

    expect((await verifyBackup({ id: 'nightly', provider: to })).ok).toBe(true);
    expect(await restoreElsewhere(harness, to, 'nightly')).toEqual(await digests(harness.source));
  });

  test('a flipped byte in a source chunk fails the copy with CORRUPT naming the chunk; the destination holds no descriptor and not the damaged chunk', async () => {
    harness = await createHarness('copy-flip');
    await seed(harness);
    await backUp(harness, 'flip');
    const chunk = (await nodeDescriptor(harness.backupRoot, 'flip')).collections.find((c) => c.name === 'Author')!.chunks[0]!;
    await flipByte(harness.backupRoot, chunk.key);
    const to = destination(harness);

    const error = await rejection(copyBackup({ id: 'flip', from: { provider: harness.provider }, to: { provider: to }, concurrency: 1 }));
    expect(error.code).toBe(ErrorCode.CORRUPT);
    expect(error.message).toContain(chunk.key);
    const left = await listFiles(join(harness.dir, 'elsewhere'));
    expect(left).not.toContain(chunk.key);
    expect(left.filter((key) => key.endsWith('.json'))).toEqual([]);
    expect(left.every((key) => !key.includes('.tmp'))).toBe(true);
  });

  test('transient failures of chunk writes and descriptor writes are retried (retry option); with one attempt they fail the copy UNAVAILABLE', async () => {
    harness = await createHarness('copy-retry');
    await seed(harness);
    await backUp(harness, 'flaky');
    const failed = new Set<string>();
    /** Fails the first write of every object, after taking some of its bytes. */
    class FlakyProvider extends RecordingProvider {
      override async put(key: string, data: Uint8Array | string, options?: CallOptions): Promise<void> {
        if (!failed.has(key)) {
          failed.add(key);
          throw new BackupError(ErrorCode.UNAVAILABLE, `put ${key}: connection reset`);
        }
        await super.put(key, data, options);
      }
      override async write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult> {
        if (!failed.has(key)) {
          failed.add(key);
          options?.onProgress?.(1000);
          throw new BackupError(ErrorCode.UNAVAILABLE, `write ${key}: connection reset`);
        }
        return await super.write(key, body, options);
      }
    }
    const once = new FlakyProvider({ path: join(harness.dir, 'once') });
    closers.push(() => once.close());
    const refused = await rejection(copyBackup({ id: 'flaky', from: { provider: harness.provider }, to: { provider: once }, retry: { attempts: 1 } }));
    expect(refused.code).toBe(ErrorCode.UNAVAILABLE);

    failed.clear();
    const flaky = new FlakyProvider({ path: join(harness.dir, 'flaky') });
    closers.push(() => flaky.close());
    let last: CopyProgress | undefined;
    const result = await copyBackup({
      id: 'flaky',
      from: { provider: harness.provider },
      to: { provider: flaky },
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      onProgress: (progress) => (last = progress),
    });
    expect(result.bytesCopied).toBe(result.bytes);
    expect(last?.bytesDone).toBe(result.bytes);
    expect(last?.objectsDone).toBe(result.objects);
    expect((await verifyBackup({ id: 'flaky', provider: flaky })).problems).toEqual([]);
  });

  test('a chunk missing or cut short at the source is CORRUPT, naming it', async () => {
    harness = await createHarness('copy-missing');
    await seed(harness);
    await backUp(harness, 'cut');
    const chunks = (await nodeDescriptor(harness.backupRoot, 'cut')).collections.flatMap((c) => c.chunks);
    const [first, second] = chunks as [(typeof chunks)[0], (typeof chunks)[0]];
    const path = join(harness.backupRoot, ...first.key.split('/'));
    const original = await readFile(path);
    await writeFile(path, original.subarray(0, first.size - 1));
    const cut = await rejection(copyBackup({ id: 'cut', from: { provider: harness.provider }, to: { provider: destination(harness) } }));
    expect(cut.code).toBe(ErrorCode.CORRUPT);
    expect(cut.message).toContain(first.key);

    await writeFile(path, original);
    await harness.provider.delete(second.key);
    const missing = await rejection(copyBackup({ id: 'cut', from: { provider: harness.provider }, to: { provider: destination(harness, 'third') } }));
    expect(missing.code).toBe(ErrorCode.CORRUPT);
    expect(missing.message).toContain(second.key);
  });

  test('asked to, between two paths of one provider that declares serverSideCopy, the backend copies every chunk; the copy verifies and restores', async () => {
    harness = await createHarness('copy-inside');
    await seed(harness);
    await backUp(harness, 'inside');
    const expected = await digests(harness.source);
    const chunks = (await nodeDescriptor(harness.backupRoot, 'inside')).collections.flatMap((c) => c.chunks);
    const elsewhere = { provider: harness.provider, location: { path: join(harness.dir, 'same-provider') } };

    const result = await copyBackup({ id: 'inside', from: { provider: harness.provider }, to: elsewhere, serverSideCopy: true });
    expect(result.copied).toBe(chunks.length);
    expect(result.copiedServerSide).toBe(chunks.length);
    expect(result.bytesCopied).toBe(result.bytes);
    expect((await verifyBackup({ id: 'inside', ...elsewhere })).problems).toEqual([]);
    const moved = new FilesystemProvider({ path: join(harness.dir, 'same-provider') });
    closers.push(() => moved.close());
    expect(await restoreElsewhere(harness, moved, 'inside')).toEqual(expected);

    // Unless asked, it streams every chunk through the process and checks its sha256, as between two providers.
    const streamed = await copyBackup({
      id: 'inside',
      from: { provider: harness.provider },
      to: { provider: harness.provider, location: { path: join(harness.dir, 'streamed') } },
    });
    expect(streamed.copied).toBe(chunks.length);
    expect(streamed.copiedServerSide).toBe(0);
  });

  test('a source chunk cut short is CORRUPT in a server-side copy too, and is not kept at the destination', async () => {
    harness = await createHarness('copy-inside-cut');
    await seed(harness);
    await backUp(harness, 'cut');
    const chunk = (await nodeDescriptor(harness.backupRoot, 'cut')).collections.flatMap((c) => c.chunks)[0]!;
    const path = join(harness.backupRoot, ...chunk.key.split('/'));
    await writeFile(path, (await readFile(path)).subarray(0, chunk.size - 1));
    const elsewhere = { provider: harness.provider, location: { path: join(harness.dir, 'same-provider') } };
    const error = await rejection(copyBackup({ id: 'cut', from: { provider: harness.provider }, to: elsewhere, concurrency: 1, serverSideCopy: true }));
    expect(error.code).toBe(ErrorCode.CORRUPT);
    expect(error.message).toContain(chunk.key);
    const left = await listFiles(join(harness.dir, 'same-provider'));
    expect(left).not.toContain(chunk.key);
    expect(left.filter((key) => key.endsWith('.json'))).toEqual([]);
  });

  test('an aborted copy leaves no descriptor and no partial chunk; running it again resumes and completes', async () => {
    harness = await createHarness('copy-resume');
    await seed(harness);
    await backUp(harness, 'resume');
    const chunks = (await nodeDescriptor(harness.backupRoot, 'resume')).collections.flatMap((c) => c.chunks);
    const to = destination(harness);

    // Abort in the middle of the second chunk's 1.5 MB: one chunk done, one half-written.
    const largest = chunks.reduce((max, c) => Math.max(max, c.size), 0);
    const controller = new AbortController();
    const aborted = await rejection(
      copyBackup({
        id: 'resume',
        from: { provider: harness.provider },
        to: { provider: to },
        concurrency: 1,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.objectsDone === 1 && progress.bytesDone > largest + 700_000) controller.abort();
        },
      }),
    );
    expect(aborted.code).toBe(ErrorCode.ABORTED);
    const left = await listFiles(join(harness.dir, 'elsewhere'));
    expect(left).toHaveLength(1); // the finished chunk, nothing half-written, no descriptor
    expect(left[0]).toMatch(/^resume\/node1\/.*chunk-\d+$/);
    await expect(verifyBackup({ id: 'resume', provider: to })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });

    const resumed = await copyBackup({ id: 'resume', from: { provider: harness.provider }, to: { provider: to } });
    expect(resumed.skipped).toBe(1);
    expect(resumed.copied).toBe(chunks.length - 1);
    expect(resumed.bytesCopied).toBeLessThan(resumed.bytes);
    expect((await verifyBackup({ id: 'resume', provider: to })).ok).toBe(true);
    expect(await restoreElsewhere(harness, to, 'resume')).toEqual(await digests(harness.source));
  });

  test('resuming keeps a chunk of the right size unless verifyExisting re-hashes it', async () => {
    harness = await createHarness('copy-verify-existing');
    await seed(harness);
    await backUp(harness, 'stale');
    const chunk = (await nodeDescriptor(harness.backupRoot, 'stale')).collections.find((c) => c.name === 'Comment')!.chunks[0]!;
    // What a foreign writer could leave under the same key: right size, wrong bytes.
    const planted = await readFile(join(harness.backupRoot, ...chunk.key.split('/')));
    planted[10] = (planted[10] ?? 0) ^ 1;

    const trusting = destination(harness, 'trusting');
    await trusting.put(chunk.key, planted);
    expect((await copyBackup({ id: 'stale', from: { provider: harness.provider }, to: { provider: trusting } })).skipped).toBe(1);
    const report = await verifyBackup({ id: 'stale', provider: trusting });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'SHA256_MISMATCH', key: chunk.key })]);

    const careful = destination(harness, 'careful');
    await careful.put(chunk.key, planted);
    const result = await copyBackup({ id: 'stale', from: { provider: harness.provider }, to: { provider: careful }, verifyExisting: true });
    expect(result.skipped).toBe(0);
    expect((await verifyBackup({ id: 'stale', provider: careful })).ok).toBe(true);
  });

  test('refuses a backup that is not SUCCESS (CONFLICT), an unknown one (NOT_FOUND), itself (INVALID_ARGUMENT), and a complete backup at the destination (ALREADY_EXISTS)', async () => {
    harness = await createHarness('copy-refusals');
    await seed(harness);
    await backUp(harness, 'done');
    const to = destination(harness);
    const from = { provider: harness.provider };

    expect((await rejection(copyBackup({ id: 'nope', from, to: { provider: to } }))).code).toBe(ErrorCode.NOT_FOUND);
    expect((await rejection(copyBackup({ id: 'Bad Id', from, to: { provider: to } }))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await rejection(copyBackup({ id: 'done', from, to: from }))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await rejection(copyBackup({ id: 'done', from, to: { provider: to }, concurrency: 0 }))).code).toBe(ErrorCode.INVALID_ARGUMENT);

    await copyBackup({ id: 'done', from, to: { provider: to } });
    const before = await treeDigest(join(harness.dir, 'elsewhere'));
    expect((await rejection(copyBackup({ id: 'done', from, to: { provider: to } }))).code).toBe(ErrorCode.ALREADY_EXISTS);
    expect(await treeDigest(join(harness.dir, 'elsewhere'))).toEqual(before);

    for (const status of ['FAILED', 'STARTED', 'TRANSFERRING', 'CANCELED']) {
      const key = 'done/backup_config.json';
      const descriptor = JSON.parse((await harness.provider.get(key)).toString('utf8')) as Record<string, unknown>;
      await harness.provider.put(key, JSON.stringify({ ...descriptor, status }));
      const refused = await rejection(copyBackup({ id: 'done', from, to: { provider: destination(harness, `to-${status}`) } }));
      expect(refused.code, status).toBe(ErrorCode.CONFLICT);
      await harness.provider.put(key, JSON.stringify(descriptor));
    }
  });

  test('an already aborted signal copies nothing', async () => {
    harness = await createHarness('copy-preaborted');
    await seed(harness);
    await backUp(harness, 'early');
    const to = destination(harness);
    const error = await rejection(copyBackup({ id: 'early', from: { provider: harness.provider }, to: { provider: to }, signal: AbortSignal.abort() }));
    expect(error.code).toBe(ErrorCode.ABORTED);
    expect(await listFiles(join(harness.dir, 'elsewhere'))).toEqual([]);
  });
});

describe('node_mapping', { timeout: 120_000 }, () => {
  test('a backup copied to a new environment restores on a node with another name', async () => {
    harness = await createHarness('copy-mapping');
    await seed(harness);
    await backUp(harness, 'migrate');
    const to = destination(harness);
    await copyBackup({ id: 'migrate', from: { provider: harness.provider }, to: { provider: to } });
    expect(await restoreElsewhere(harness, to, 'migrate', 'node-b')).toEqual(await digests(harness.source));
  });
});
