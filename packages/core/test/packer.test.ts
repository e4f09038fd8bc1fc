import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupError, ErrorCode, CompressionLevel, providersFromEnv, type ChunkRecord, type FileRecord } from '../src/index.ts';
import { planChunks } from '../src/engine/chunk-plan.ts';
import { compressionSpec } from '../src/engine/compression.ts';
import { inThreadJobEncoder, type JobEncoder } from '../src/engine/chunk-encoder.ts';
import { ChunkWorkerPool } from '../src/engine/chunk-worker-pool.ts';
import { packJob } from '../src/engine/packer.ts';
import { planUnpack, unpackJob } from '../src/engine/unpacker.ts';
import type { SnapshotFile } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest } from './fixtures/scratch.ts';

const MB = 1024 * 1024;
let dir: string;
let provider: FilesystemProvider;
/** Where chunks are encoded and decoded: each suite below runs in the main thread and in worker threads. */
let workers: ChunkWorkerPool;

beforeEach(async () => {
  dir = await scratchDir('packer');
  provider = new FilesystemProvider({ path: join(dir, 'store') });
});
afterEach(async () => {
  await removeDir(dir);
});

/** Writes files below `<dir>/src` and returns them as a snapshot would list them. */
async function sourceFiles(files: Record<string, Buffer>): Promise<SnapshotFile[]> {
  const list: SnapshotFile[] = [];
  for (const [path, data] of Object.entries(files)) {
    const target = join(dir, 'src', ...path.split('/'));
    await import('node:fs/promises').then((fs) => fs.mkdir(join(target, '..'), { recursive: true }));
    await writeFile(target, data);
    list.push({ path, size: data.byteLength, shard: path.split('/')[0] as string });
  }
  return list;
}

async function packAll(files: SnapshotFile[], chunkSize: number, level: CompressionLevel) {
  const controller = new AbortController();
  const chunks: ChunkRecord[] = [];
  const records: FileRecord[] = [];
  for (const job of planChunks(files, chunkSize)) {
    const packed = await packJob(job, {
      provider,
      location: {},
      compression: compressionSpec(level),
      root: join(dir, 'src'),
      keyFor: (index) => `b/node1/C/chunk-${index}`,
      signal: controller.signal,
      workers,
    });
    chunks.push(...packed.chunks);
    records.push(...packed.files);
  }
  return { chunks, records };
}

async function unpackAll(chunks: ChunkRecord[], records: FileRecord[], level: CompressionLevel, target: string) {
  const controller = new AbortController();
  for (const job of planUnpack(chunks, records)) {
    await unpackJob(job, {
      provider,
      location: {},
      codec: compressionSpec(level).codec,
      directory: target,
      signal: controller.signal,
      workers,
    });
  }
}

const MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  gzip: (bytes) => bytes[0] === 0x1f && bytes[1] === 0x8b,
  zstd: (bytes) => bytes.readUInt32LE(0) === 0xfd2fb528,
  none: (bytes) => bytes.subarray(257, 262).toString() === 'ustar',
};

// `providers in the workers`: the provider comes from a module a worker can import
// (`workerEntry`), so each worker writes and reads chunks with its own instance; the
// main thread's instance refuses chunks (fixtures/worker-only-chunks.ts).
const WORKER_ONLY_CHUNKS = fileURLToPath(new URL('./fixtures/worker-only-chunks.ts', import.meta.url));

for (const mode of ['off', 'on', 'providers in the workers'] as const) {
  const titles = { off: 'in the main thread', on: 'in worker threads', 'providers in the workers': 'in worker threads with their own providers' };
  describe(titles[mode], () => {
    beforeAll(() => {
      workers = new ChunkWorkerPool({ mode: mode === 'off' ? 'off' : 'on' });
    });
    if (mode === 'providers in the workers') {
      beforeEach(async () => {
        const env = { ENABLE_MODULES: WORKER_ONLY_CHUNKS, BACKUP_FILESYSTEM_PATH: join(dir, 'store') };
        provider = (await providersFromEnv(env)).get('filesystem') as FilesystemProvider;
      });
    }
    afterAll(async () => {
      await workers.close();
    });

    describe('packer round trip', { timeout: 120_000 }, () => {
      for (const level of Object.values(CompressionLevel)) {
        test(`${level}: every file comes back byte for byte, chunks are in the chosen codec`, async () => {
          const files = await sourceFiles({
            'shard-a/big.seg': sampleBytes(5 * MB + 123, 0.3), // split into 3 parts of a 2 MB chunk
            'shard-a/small.seg': sampleBytes(700_000),
            'shard-a/meta/empty': Buffer.alloc(0),
            'shard-b/one.seg': sampleBytes(1_500_000),
            'shard-b/two.seg': sampleBytes(900_000),
          });
          const { chunks, records } = await packAll(files, 2 * MB, level);
          const codec = compressionSpec(level).codec;
          for (const chunk of chunks) {
            const stored = await readFile(join(dir, 'store', ...chunk.key.split('/')));
            expect(stored.byteLength).toBe(chunk.size);
            expect(MAGIC[codec]?.(stored), `${chunk.key} is ${codec}`).toBe(true);
          }
          if (codec !== 'none') {
            const raw = chunks.reduce((sum, chunk) => sum + chunk.rawSize, 0);
            const stored = chunks.reduce((sum, chunk) => sum + chunk.size, 0);
            expect(stored).toBeLessThan(raw); // the compressible halves did shrink
          }
          await unpackAll(chunks, records, level, join(dir, 'restored'));
          expect(await treeDigest(join(dir, 'restored'))).toEqual(await treeDigest(join(dir, 'src')));
        });
      }
    });

    describe('chunking', { timeout: 120_000 }, () => {
      test('files of one shard share chunks up to ChunkSize; shards never share; a larger file is split into recorded parts', async () => {
        const files = await sourceFiles({
          'shard-a/1': sampleBytes(800_000),
          'shard-a/2': sampleBytes(800_000),
          'shard-a/3': sampleBytes(800_000),
          'shard-a/huge': sampleBytes(4 * MB + 1),
          'shard-b/1': sampleBytes(10),
        });
        const { chunks, records } = await packAll(files, 2 * MB, 'NoCompression');
        for (const chunk of chunks) {
          expect(chunk.rawSize).toBeLessThanOrEqual(2 * MB);
          expect(new Set(chunk.entries.map((entry) => entry.path.split('/')[0])).size).toBe(1);
        }
        const huge = records.find((record) => record.path === 'shard-a/huge');
        expect(huge?.chunks).toHaveLength(3);
        const parts = chunks.filter((chunk) => huge?.chunks.includes(chunk.key)).flatMap((chunk) => chunk.entries);
        expect(parts.map((part) => [part.offset, part.length])).toEqual([
          [0, 2 * MB],
          [2 * MB, 2 * MB],
          [4 * MB, 1],
        ]);
        // Two of the three 800 kB files fit in one 2 MB chunk, the third starts the next.
        const smallChunks = chunks.filter((chunk) => chunk.entries.some((entry) => /^shard-a\/\d$/.test(entry.path)));
        expect(smallChunks.map((chunk) => chunk.entries.length).sort()).toEqual([1, 2]);
      });
    });

    describe('verification', { timeout: 120_000 }, () => {
      for (const level of ['NoCompression', 'DefaultCompression', 'ZstdDefaultCompression'] as const) {
        test(`${level}: one flipped byte in a stored chunk fails with CORRUPT naming that chunk`, async () => {
          const files = await sourceFiles({ 'shard-a/x.seg': sampleBytes(3 * MB, 0.5), 'shard-a/y': sampleBytes(1000) });
          const { chunks, records } = await packAll(files, 2 * MB, level);
          const victim = chunks[1] as ChunkRecord;
          const path = join(dir, 'store', ...victim.key.split('/'));
          const bytes = await readFile(path);
          const at = Math.floor(bytes.byteLength / 2);
          bytes[at] = (bytes[at] as number) ^ 0x01;
          await writeFile(path, bytes);
          const error = await unpackAll(chunks, records, level, join(dir, 'restored')).catch((caught: unknown) => caught);
          expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
          expect((error as Error).message).toContain(victim.key);
        });
      }

      // The decoder here is the one `on` runs (25 s a codec); with the workers' own
      // providers only the download differs, which the single flipped byte above covers.
      const bitFlipLevels = mode === 'providers in the workers' ? [] : (['DefaultCompression', 'ZstdDefaultCompression'] as const);
      for (const level of bitFlipLevels) {
        test(`${level}: flipped bits anywhere in a chunk always fail with CORRUPT, never hang`, async () => {
          // A flip that garbles a tar header once left the extractor waiting forever; 60 random
          // positions found it within a handful of tries before the fix. These 60 are spread evenly.
          const files = await sourceFiles({ 'shard-a/x.seg': sampleBytes(3 * MB, 0.5), 'shard-a/y': sampleBytes(1000) });
          const { chunks, records } = await packAll(files, 2 * MB, level);
          const victim = chunks[1] as ChunkRecord;
          const path = join(dir, 'store', ...victim.key.split('/'));
          const original = await readFile(path);
          for (let flip = 0; flip < 60; flip++) {
            const bytes = Buffer.from(original);
            // Golden-ratio steps spread the 60 positions over the whole chunk, the same on every run.
            const at = Math.floor(((flip * 0.6180339887498949) % 1) * bytes.byteLength);
            bytes[at] = (bytes[at] as number) ^ (1 << (flip % 8));
            await writeFile(path, bytes);
            const target = join(dir, `restored-${flip}`);
            // A hang is what this guards against; 30 s tells one from a slow, loaded machine.
            let timer: NodeJS.Timeout | undefined;
            const outcome = await Promise.race([
              unpackAll(chunks, records, level, target).then(
                () => 'restored',
                (error: unknown) => error,
              ),
              new Promise((resolve) => (timer = setTimeout(() => resolve(`hung with byte ${at} flipped`), 30_000))),
            ]);
            clearTimeout(timer);
            expect(BackupError.is(outcome, ErrorCode.CORRUPT), `flip ${flip} at byte ${at}: ${String(outcome)}`).toBe(true);
          }
        });
      }

      test('a chunk whose size differs from its record fails naming the chunk, even if its content is intact', async () => {
        const files = await sourceFiles({ 'shard-a/x': sampleBytes(1000) });
        const { chunks, records } = await packAll(files, 2 * MB, 'NoCompression');
        const chunk = chunks[0] as ChunkRecord;
        await writeFile(
          join(dir, 'store', ...chunk.key.split('/')),
          Buffer.concat([await readFile(join(dir, 'store', ...chunk.key.split('/'))), Buffer.alloc(512)]),
        );
        const error = await unpackAll(chunks, records, 'NoCompression', join(dir, 'restored')).catch((caught: unknown) => caught);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
        expect((error as Error).message).toContain(chunk.key);
      });

      test('a missing chunk fails with CORRUPT naming it', async () => {
        const files = await sourceFiles({ 'shard-a/x': sampleBytes(1000) });
        const { chunks, records } = await packAll(files, 2 * MB, 'BestSpeed');
        await provider.delete((chunks[0] as ChunkRecord).key);
        const error = await unpackAll(chunks, records, 'BestSpeed', join(dir, 'restored')).catch((caught: unknown) => caught);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
        expect((error as Error).message).toContain((chunks[0] as ChunkRecord).key);
      });
    });

    describe('cancellation', { timeout: 120_000 }, () => {
      test('aborting a pack mid-chunk rejects ABORTED and leaves no object behind', async () => {
        const files = await sourceFiles({ 'shard-a/x': sampleBytes(30 * MB, 0) });
        const controller = new AbortController();
        let packed = 0;
        const [job] = planChunks(files, 64 * MB);
        const packing = packJob(job as never, {
          provider,
          location: {},
          compression: compressionSpec('BestCompression'),
          root: join(dir, 'src'),
          keyFor: (index) => `b/node1/C/chunk-${index}`,
          signal: controller.signal,
          workers,
          // Mid-chunk by construction (a timer could fire after a fast machine had finished the chunk).
          onRawBytes: (bytes) => {
            packed += bytes;
            if (packed >= 4 * MB && !controller.signal.aborted) controller.abort();
          },
        });
        const error = await packing.catch((caught: unknown) => caught);
        expect(BackupError.is(error, ErrorCode.ABORTED)).toBe(true);
        expect(await listFiles(join(dir, 'store'))).toEqual([]);
      });

      // What a cancel does to a chunk mid-upload: the provider's write stops
      // reading, Node's iterator destroys the chunk's output with an AbortError,
      // and tar-stream destroys the entry being written with it. Unheard, that
      // error was an uncaught exception: in a server, the end of the process.
      test('an upload that stops reading a chunk part way fails its encoding and throws nothing uncaught', async () => {
        const files = await sourceFiles(Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`shard-a/f${i}`, sampleBytes(2 * MB + i * 4099, 0.3)])));
        const [job] = planChunks(files, 64 * MB);
        const uncaught: unknown[] = [];
        const onUncaught = (error: unknown): void => void uncaught.push(error);
        process.on('uncaughtException', onUncaught);
        try {
          // Stops at many points of the chunk, some of which find an entry mid-write.
          for (let trial = 0; trial < 48; trial++) {
            const encoder: JobEncoder = workers.jobEncoder(false) ?? inThreadJobEncoder(false);
            const encoding = encoder.encode(job!.chunks[0]!, {
              root: join(dir, 'src'),
              compression: compressionSpec('BestSpeed'),
              signal: new AbortController().signal,
              last: true,
            });
            let read = 0;
            for await (const chunk of encoding.output as AsyncIterable<Buffer>) {
              read += chunk.byteLength;
              if (read >= (trial + 1) * 32 * 1024) break;
            }
            await expect(encoding.done).rejects.toThrow();
            encoder.release();
            // The archive's entries are torn down a few ticks after that.
            for (let tick = 0; tick < 5; tick++) await new Promise(setImmediate);
            expect(uncaught, `trial ${trial}`).toEqual([]);
          }
        } finally {
          process.off('uncaughtException', onUncaught);
        }
      });
    });
  });
}
