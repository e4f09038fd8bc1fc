import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import {
  BackupError,
  BackupEvents,
  BackupTransfers,
  ErrorCode,
  type BackupEvent,
  type BackupStatusReport,
  type NodeDescriptor,
  type OperationProgress,
  type RestoreStatusReport,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { sampleBytes, waitFor } from './fixtures/scratch.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

async function seed(h: Harness): Promise<void> {
  await h.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 'shard0', status: 'HOT' }] });
  await h.source.writeFile('Article', 'shard0/objects/000001.seg', sampleBytes(3_000_000));
  await h.source.writeFile('Article', 'shard0/meta.json', '{"a":1}');
  await h.source.createCollection({ name: 'Author', multiTenant: false, shards: [{ name: 's', status: 'HOT' }] });
  await h.source.writeFile('Author', 's/a.seg', sampleBytes(10_000));
}

/** The real filesystem provider whose first upload of a chunk "loses its answer": stored, but reported UNAVAILABLE. */
class FlakyProvider extends FilesystemProvider {
  readonly failed = new Set<string>();
  override async write(key: string, body: WriteBody, options?: WriteOptions): Promise<WriteResult> {
    const result = await super.write(key, body, options);
    if (/chunk-0$/.test(key) && !this.failed.has(key)) {
      this.failed.add(key);
      throw new BackupError(ErrorCode.UNAVAILABLE, `lost the answer for ${key}`);
    }
    return result;
  }
}

function totalsOf(descriptor: NodeDescriptor) {
  return {
    bytes: descriptor.preCompressionSizeBytes,
    files: descriptor.collections.reduce((sum, collection) => sum + collection.files.length, 0),
    chunks: descriptor.collections.reduce((sum, collection) => sum + collection.chunks.length, 0),
  };
}

describe('observing backups and restores', { timeout: 120_000 }, () => {
  test('one backup reports its events in order, bytes adding up to the recorded size', async () => {
    harness = await createHarness(
      'observe-events',
      { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } },
      (root) => new FlakyProvider({ path: root, allowedRoots: [dirname(root)] }),
    );
    await seed(harness);
    const events: BackupEvent[] = [];
    harness.engine.events.on((event) => events.push(event));
    harness.engine.events.on(() => {
      throw new Error('a broken observer must not break the backup');
    });
    await harness.engine.createBackup({ backend: 'filesystem', id: 'observed', config: { chunkSizeMb: 2 } });
    const final = await harness.engine.waitFor('backup', 'filesystem', 'observed');
    expect(final.status).toBe('SUCCESS');

    const ref = { kind: 'backup', id: 'observed', backend: 'filesystem', node: 'node1' };
    const lifecycle = events.filter((event) => event.type !== 'bytes' && event.type !== 'chunkRetried');
    expect(lifecycle.map((event) => [event.type, 'status' in event ? event.status : undefined])).toEqual([
      ['started', undefined],
      ['status', 'TRANSFERRING'],
      ['status', 'TRANSFERRED'],
      ['writerStall', undefined],
      ['writerStall', undefined],
      ['status', 'SUCCESS'],
      ['ended', 'SUCCESS'],
    ]);
    for (const event of events) expect(event).toMatchObject(ref);
    const ended = events.at(-1) as Extract<BackupEvent, { type: 'ended' }>;
    expect(ended.bytes).toBe(final.sizeBytes);
    expect(ended.errorCode).toBeUndefined();
    expect(ended.durationMs).toBeGreaterThanOrEqual(0);
    const bytes = events.flatMap((event) => (event.type === 'bytes' ? [event.bytes] : []));
    expect(bytes.reduce((sum, value) => sum + value, 0)).toBe(final.sizeBytes);
    const stalls = events.flatMap((event) => (event.type === 'writerStall' ? [`${event.collection}/${event.shard}`] : []));
    expect(stalls.sort()).toEqual(['Article/shard0', 'Author/s']);
    // Each collection's chunk-0 was stored, reported lost and uploaded again.
    const retried = events.flatMap((event) => (event.type === 'chunkRetried' ? [event] : []));
    expect(retried.map((event) => [event.key.replace(/^.*\/(\w+)\/chunk-0$/, '$1'), event.attempt, event.errorCode]).sort()).toEqual([
      ['Article', 1, 'UNAVAILABLE'],
      ['Author', 1, 'UNAVAILABLE'],
    ]);
  });

  test('progress totals are known once snapshotted and end equal to what the descriptor records', async () => {
    harness = await createHarness('observe-progress');
    await seed(harness);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'totals', config: { chunkSizeMb: 2 } });
    const seen: OperationProgress[] = [];
    const final = await harness.engine.waitFor('backup', 'filesystem', 'totals', {
      intervalMs: 5,
      onProgress: (report) => report.progress && seen.push(report.progress),
    });
    expect(final.status).toBe('SUCCESS');
    const descriptor = JSON.parse(await readFile(join(harness.backupRoot, 'totals', 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
    const recorded = totalsOf(descriptor);
    expect(recorded.chunks).toBeGreaterThan(1);
    const last = (final as BackupStatusReport).progress as OperationProgress;
    expect(last).toMatchObject({
      bytesDone: recorded.bytes,
      bytesTotal: recorded.bytes,
      filesDone: recorded.files,
      filesTotal: recorded.files,
      chunksDone: recorded.chunks,
      chunksTotal: recorded.chunks,
      etaSeconds: 0,
    });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(seen[i - 1]!.bytesDone);
    for (const progress of seen) if (progress.bytesTotal !== undefined) expect(progress.bytesTotal).toBe(recorded.bytes);
    // The status read later (from the stored record) keeps the counts.
    expect((await harness.engine.backupStatus('filesystem', 'totals')).progress).toEqual(last);

    await harness.source.dropCollection('Article');
    await harness.source.dropCollection('Author');
    await harness.engine.restore({ backend: 'filesystem', id: 'totals' });
    const restored = (await harness.engine.waitFor('restore', 'filesystem', 'totals', { intervalMs: 5 })) as RestoreStatusReport;
    expect(restored.status).toBe('SUCCESS');
    expect(restored.progress).toMatchObject({
      bytesDone: recorded.bytes,
      bytesTotal: recorded.bytes,
      filesDone: recorded.files,
      filesTotal: recorded.files,
      chunksDone: recorded.chunks,
      chunksTotal: recorded.chunks,
    });
  });

  test('a failed restore ends with its error code; waitFor stops on its signal', async () => {
    harness = await createHarness('observe-failure');
    await seed(harness);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'broken' });
    expect((await harness.engine.waitFor('backup', 'filesystem', 'broken')).status).toBe('SUCCESS');
    const descriptor = JSON.parse(await readFile(join(harness.backupRoot, 'broken', 'node1', 'backup.json'), 'utf8')) as NodeDescriptor;
    const chunk = descriptor.collections[0]!.chunks[0]!.key;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(harness.backupRoot, chunk), 'not the chunk');
    await harness.source.dropCollection('Article');
    await harness.source.dropCollection('Author');

    const events: BackupEvent[] = [];
    harness.engine.events.on((event) => events.push(event));
    await harness.engine.restore({ backend: 'filesystem', id: 'broken' });
    const report = await harness.engine.waitFor('restore', 'filesystem', 'broken');
    expect(report.status).toBe('FAILED');
    const ended = events.find((event) => event.type === 'ended');
    expect(ended).toMatchObject({ kind: 'restore', status: 'FAILED', errorCode: 'CORRUPT' });
    expect(events.some((event) => event.type === 'chunkFailed' && event.key === chunk && event.errorCode === 'CORRUPT')).toBe(true);

    const controller = new AbortController();
    controller.abort();
    await expect(harness.engine.waitFor('backup', 'filesystem', 'broken', { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  test('copy and verify jobs report their start, bytes and end', async () => {
    harness = await createHarness('observe-transfers');
    await seed(harness);
    await harness.engine.createBackup({ backend: 'filesystem', id: 'moved' });
    const backup = await harness.engine.waitFor('backup', 'filesystem', 'moved');
    const copyRoot = join(harness.dir, 'copies');
    const events = new BackupEvents();
    const seen: BackupEvent[] = [];
    events.on((event) => seen.push(event));
    const transfers = new BackupTransfers({ filesystem: harness.provider, copies: new FilesystemProvider({ path: copyRoot }) }, { events, node: 'node1' });
    try {
      await transfers.startCopy({ backend: 'filesystem', id: 'moved', to: { backend: 'copies' } });
      await waitFor('copy', async () => transfers.copyStatus('filesystem', 'moved').completedAt !== undefined);
      await transfers.startVerify('copies', 'moved');
      await waitFor('verify', async () => transfers.verifyStatus('copies', 'moved').completedAt !== undefined);
    } finally {
      await transfers.close();
    }
    const lifecycle = seen
      .filter((event) => event.type !== 'bytes')
      .map((event) => [event.kind, event.backend, event.type, 'status' in event ? event.status : undefined]);
    expect(lifecycle).toEqual([
      ['copy', 'filesystem', 'started', undefined],
      ['copy', 'filesystem', 'status', 'TRANSFERRING'],
      ['copy', 'filesystem', 'ended', 'SUCCESS'],
      ['verify', 'copies', 'started', undefined],
      ['verify', 'copies', 'ended', 'SUCCESS'],
    ]);
    const copied = seen
      .filter((event) => event.kind === 'copy' && event.type === 'bytes')
      .reduce((sum, event) => sum + (event.type === 'bytes' ? event.bytes : 0), 0);
    const ended = seen.find((event) => event.kind === 'copy' && event.type === 'ended') as Extract<BackupEvent, { type: 'ended' }>;
    expect(copied).toBe(ended.bytes);
    expect(ended.bytes).toBeGreaterThan(0);
    expect(backup.status).toBe('SUCCESS');
  });
});
