import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupError, ErrorCode, type ChunkRecord, type SnapshotFile } from '../src/index.ts';
import { planChunks } from '../src/engine/chunk-plan.ts';
import { ChunkWorkerPool, defaultMaxWorkers, workerThreadsMode } from '../src/engine/chunk-worker-pool.ts';
import { BATCH_BYTES, CREDITS } from '../src/engine/chunk-worker-protocol.ts';
import { compressionSpec, createDecompressor } from '../src/engine/compression.ts';
import type { CompressionSpec } from '../src/format/compression-spec.ts';
import { packJob } from '../src/engine/packer.ts';
import { planUnpack, unpackJob } from '../src/engine/unpacker.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest } from './fixtures/scratch.ts';

// The pool's own behaviour; packer.test.ts runs every round-trip, verification
// and cancellation test in worker threads as well as in the main thread.

const MB = 1024 * 1024;
let dir: string;
let provider: FilesystemProvider;
const pools: ChunkWorkerPool[] = [];

function pool(mode: 'on' | 'off' = 'on', maxWorkers?: number): ChunkWorkerPool {
  const created = new ChunkWorkerPool({ mode, maxWorkers });
  pools.push(created);
  return created;
}

beforeEach(async () => {
  dir = await scratchDir('workers');
  provider = new FilesystemProvider({ path: join(dir, 'store') });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((created) => created.close()));
  await removeDir(dir);
});

async function sourceFiles(files: Record<string, Buffer>): Promise<SnapshotFile[]> {
  const list: SnapshotFile[] = [];
  for (const [path, data] of Object.entries(files)) {
    const target = join(dir, 'src', ...path.split('/'));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, data);
    list.push({ path, size: data.byteLength, shard: path.split('/')[0] as string });
  }
  return list;
}

function packOptions(workers: ChunkWorkerPool, compression: CompressionSpec = compressionSpec('BestSpeed'), signal = new AbortController().signal) {
  return { provider, location: {}, compression, root: join(dir, 'src'), keyFor: (index: number) => `b/node1/C/chunk-${index}`, signal, workers };
}

describe('mode', () => {
  test('BACKUP_WORKER_THREADS is auto, on or off (auto when unset); anything else is CONFIG', () => {
    expect(workerThreadsMode({})).toBe('auto');
    expect(workerThreadsMode({ BACKUP_WORKER_THREADS: 'ON' })).toBe('on');
    expect(workerThreadsMode({ BACKUP_WORKER_THREADS: 'off' })).toBe('off');
    let error: unknown;
    try {
      workerThreadsMode({ BACKUP_WORKER_THREADS: 'yes' });
    } catch (caught) {
      error = caught;
    }
    expect(BackupError.is(error, ErrorCode.CONFIG)).toBe(true);
  });

  test('auto uses workers from 2 cores on; off never starts one', async () => {
    expect(new ChunkWorkerPool({ mode: 'auto', cpuCount: 1 }).enabled).toBe(false);
    expect(new ChunkWorkerPool({ mode: 'auto', cpuCount: 2 }).enabled).toBe(true);
    expect(new ChunkWorkerPool({ mode: 'auto', cpuCount: 16 }).enabled).toBe(true);
    const off = pool('off');
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(100_000) });
    for (const job of planChunks(files, 2 * MB)) await packJob(job, packOptions(off));
    expect(off.size).toBe(0);
  });
});

describe('lifecycle', { timeout: 120_000 }, () => {
  test('workers start lazily, one per job running at once, are reused, and all end on close', async () => {
    const workers = pool();
    expect(workers.size).toBe(0);
    const files = await sourceFiles(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`shard-a/f${i}`, sampleBytes(600_000)])));
    const jobs = planChunks(files, MB);
    expect(jobs.length).toBe(6);
    // Two pipelines, as the engine runs them: never more than two workers.
    for (let i = 0; i < jobs.length; i += 2) {
      await Promise.all(jobs.slice(i, i + 2).map((job) => packJob(job, packOptions(workers))));
      expect(workers.size).toBe(2);
    }
    await workers.close();
    expect(workers.size).toBe(0);
  });

  test('a worker per 2 cores: 2 cores keep a worker per pipeline, 16 cores run their 13 pipelines on 8', () => {
    expect(defaultMaxWorkers(1)).toBe(2);
    expect(defaultMaxWorkers(2)).toBe(2);
    expect(defaultMaxWorkers(4)).toBe(2);
    expect(defaultMaxWorkers(16)).toBe(8);
  });

  test('more jobs than the cap share workers, each with its own split file: backup and restore stay whole', async () => {
    const workers = pool('on', 2);
    // Five split files, each a job of three chunks, all five running at once on two workers:
    // any running hash shared between jobs would record (and then verify) a wrong file hash.
    const files = await sourceFiles(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`shard-a/f${i}`, sampleBytes(2 * MB + 1000 * i, 0.5)])));
    const jobs = planChunks(files, MB);
    expect(jobs.length).toBe(5);
    const packed = await Promise.all(jobs.map((job) => packJob(job, packOptions(workers, compressionSpec('DefaultCompression')))));
    expect(workers.size).toBe(2);
    const fileRecords = packed.flatMap((job) => job.files);
    for (const record of fileRecords) {
      const bytes = await readFile(join(dir, 'src', ...record.path.split('/')));
      expect(record.sha256, record.path).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    const chunks = packed.flatMap((job) => job.chunks);
    await Promise.all(
      planUnpack(chunks, fileRecords).map((job) =>
        unpackJob(job, { provider, location: {}, codec: 'gzip', directory: join(dir, 'restored'), signal: new AbortController().signal, workers }),
      ),
    );
    expect(workers.size).toBe(2);
    expect(await treeDigest(join(dir, 'restored'))).toEqual(await treeDigest(join(dir, 'src')));
  });

  test('after close, jobs run in the main thread and still succeed', async () => {
    const workers = pool();
    await workers.close();
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(300_000) });
    const [job] = planChunks(files, MB);
    const packed = await packJob(job!, packOptions(workers));
    expect(packed.files).toHaveLength(1);
    expect(workers.size).toBe(0);
  });
});

describe('the same chunks as the main thread', { timeout: 120_000 }, () => {
  // A backup must not depend on where its chunks were made: the same files
  // give the same records and the same stored bytes in a worker.
  for (const level of ['DefaultCompression', 'ZstdDefaultCompression', 'NoCompression'] as const) {
    test(`${level}: identical file records and stored chunks, a split file included`, async () => {
      const files = await sourceFiles({
        'shard-a/big': sampleBytes(5 * MB + 7, 0.4),
        'shard-a/small': sampleBytes(300_000),
        'shard-b/empty': Buffer.alloc(0),
      });
      const spec = compressionSpec(level);
      const packAll = async (workers: ChunkWorkerPool) => {
        const packed = [];
        for (const job of planChunks(files, 2 * MB)) packed.push(await packJob(job, packOptions(workers, spec)));
        const contents = [];
        for (const chunk of packed.flatMap((job) => job.chunks)) {
          const stored = await readAll(await provider.read(chunk.key));
          expect(createHash('sha256').update(stored).digest('hex')).toBe(chunk.sha256);
          contents.push(
            createHash('sha256')
              .update(await readAll(Readable.from([stored]).pipe(createDecompressor(spec.codec))))
              .digest('hex'),
          );
        }
        const chunks = packed.flatMap((job) => job.chunks.map(({ key, rawSize, entries }) => ({ key, rawSize, entries })));
        return { files: packed.flatMap((job) => job.files), chunks, contents, stored: packed.flatMap((job) => job.chunks.map((chunk) => chunk.sha256)) };
      };
      const inThread = await packAll(pool('off'));
      const inWorkers = await packAll(pool('on'));
      expect(inWorkers.files).toEqual(inThread.files);
      expect(inWorkers.chunks).toEqual(inThread.chunks);
      expect(inWorkers.contents).toEqual(inThread.contents);
      expect(inWorkers.stored).toEqual(inThread.stored);
      const big = inWorkers.files.find((file) => file.path === 'shard-a/big');
      expect(big?.chunks).toHaveLength(3);
    });
  }
});

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('errors keep their codes', { timeout: 120_000 }, () => {
  test('a missing file is NOT_FOUND', async () => {
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(1000) });
    const [job] = planChunks([...files, { path: 'shard-a/gone', size: 10, shard: 'shard-a' }], MB);
    const error = await packJob(job!, packOptions(pool())).catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.NOT_FOUND), String(error)).toBe(true);
  });

  test('a file that shrank while it was backed up is IO, with the message the main thread gives', async () => {
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(1000) });
    const [job] = planChunks([{ ...files[0]!, size: 5000 }], MB);
    const failure = async (mode: 'on' | 'off') =>
      await packJob(job!, { ...packOptions(pool(mode)), retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }).catch((caught: unknown) => caught);
    const [inWorker, inThread] = [await failure('on'), await failure('off')];
    expect(BackupError.is(inWorker, ErrorCode.IO), String(inWorker)).toBe(true);
    expect((inWorker as Error).message).toBe((inThread as Error).message);
  });

  test('an aborted restore is ABORTED, promptly', async () => {
    const workers = pool();
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(24 * MB, 0) });
    const chunks: ChunkRecord[] = [];
    const fileRecords = [];
    for (const job of planChunks(files, 64 * MB)) {
      const packed = await packJob(job, packOptions(workers, compressionSpec('BestCompression')));
      chunks.push(...packed.chunks);
      fileRecords.push(...packed.files);
    }
    const controller = new AbortController();
    let extracted = 0;
    const [job] = planUnpack(chunks, fileRecords);
    const started = Date.now();
    const error = await unpackJob(job!, {
      provider,
      location: {},
      codec: 'gzip',
      directory: join(dir, 'restored'),
      signal: controller.signal,
      workers,
      onBytes: (bytes) => {
        extracted += bytes;
        if (extracted >= 2 * MB && !controller.signal.aborted) controller.abort();
      },
    }).catch((caught: unknown) => caught);
    expect(BackupError.is(error, ErrorCode.ABORTED), String(error)).toBe(true);
    expect(extracted).toBeLessThan(24 * MB);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('a worker that crashes fails its job with a BackupError, not the process; the next job gets a new worker', async () => {
    const workers = pool();
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(1000) });
    const [job] = planChunks(files, MB);
    // A key of the wrong length makes the cipher throw where the worker starts the operation,
    // outside any operation's error handling: the worker thread dies of it.
    const badKey = Buffer.alloc(16);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    try {
      const error = await packJob(job!, { ...packOptions(workers), encryptionKey: badKey, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }).catch(
        (caught: unknown) => caught,
      );
      expect(BackupError.is(error, ErrorCode.IO), String(error)).toBe(true);
      expect((error as Error).message).toContain('chunk worker thread');
      const packed = await packJob(job!, packOptions(workers));
      expect(packed.files).toHaveLength(1);
      for (let tick = 0; tick < 5; tick++) await new Promise(setImmediate);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
  });
});

describe('flow control', { timeout: 120_000 }, () => {
  // The memory bound of a pipeline in a worker: however slow the upload, the
  // worker reads at most its credits' worth of batches (plus its own stream
  // buffers) ahead of what the upload has taken.
  test('a slow upload holds the worker back: file bytes read stay within a few MiB of bytes uploaded', async () => {
    const workers = pool();
    const files = await sourceFiles({ 'shard-a/x': sampleBytes(48 * MB, 0) });
    const [job] = planChunks(files, 64 * MB);
    let read = 0;
    let uploaded = 0;
    let furthestAhead = 0;
    const slowProvider = {
      ...provider,
      capabilities: provider.capabilities,
      write: async (_key: string, body: NodeJS.ReadableStream) => {
        await pipeline(
          body,
          new Writable({
            highWaterMark: 64 * 1024,
            write(chunk: Buffer, _encoding, callback) {
              uploaded += chunk.byteLength;
              furthestAhead = Math.max(furthestAhead, read - uploaded);
              setTimeout(callback, 2); // ~ a few hundred MiB/s at most: slower than reading tmpfs
            },
          }),
        );
        return { size: uploaded };
      },
    };
    const packed = await packJob(job!, {
      ...packOptions(workers, compressionSpec('NoCompression')),
      provider: slowProvider as never,
      onRawBytes: (bytes) => (read += bytes),
    });
    expect(packed.chunks).toHaveLength(1);
    expect(uploaded).toBeGreaterThan(48 * MB);
    // Credits × batch in flight, the main thread's read buffer, and the worker's stream buffers.
    const bound = (CREDITS + 1) * BATCH_BYTES + BATCH_BYTES + 4 * MB;
    expect(furthestAhead).toBeLessThan(bound);
  });
});

describe('restore round trip in workers', { timeout: 120_000 }, () => {
  test('encrypted, split files: everything comes back', async () => {
    const workers = pool();
    const key = Buffer.alloc(32, 7);
    const files = await sourceFiles({ 'shard-a/big': sampleBytes(5 * MB + 3, 0.3), 'shard-a/small': sampleBytes(1000) });
    const chunks: ChunkRecord[] = [];
    const fileRecords = [];
    for (const job of planChunks(files, 2 * MB)) {
      const packed = await packJob(job, { ...packOptions(workers, compressionSpec('ZstdDefaultCompression')), encryptionKey: key });
      chunks.push(...packed.chunks);
      fileRecords.push(...packed.files);
    }
    for (const job of planUnpack(chunks, fileRecords)) {
      await unpackJob(job, {
        provider,
        location: {},
        codec: 'zstd',
        directory: join(dir, 'restored'),
        signal: new AbortController().signal,
        workers,
        dataKeyFor: () => key,
      });
    }
    expect(await treeDigest(join(dir, 'restored'))).toEqual(await treeDigest(join(dir, 'src')));
  });
});
