/**
 * Integrity hashing (format 2.3, docs/DESIGN.md "Integrity hashing"): a split
 * file's bytes are hashed once per side (the file's sha256), its parts record
 * no sha256 of their own; backups of format 2.2, with a sha256 per part, still
 * restore and verify their parts; a flipped byte still names its chunk.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FilesystemProvider } from '../../provider-filesystem/src/index.ts';
import { BackupError, ErrorCode, FORMAT_VERSION, verifyBackup, type ChunkRecord, type FileRecord, type NodeDescriptor } from '../src/index.ts';
import { planChunks } from '../src/engine/chunk-plan.ts';
import { ChunkWorkerPool } from '../src/engine/chunk-worker-pool.ts';
import { compressionSpec } from '../src/engine/compression.ts';
import { packJob } from '../src/engine/packer.ts';
import { planUnpack, unpackJob } from '../src/engine/unpacker.ts';
import { decodeNodeDescriptor, encodeDescriptor } from '../src/format/descriptors.ts';
import type { SnapshotFile } from '../src/index.ts';
import { listFiles } from './fixtures/directory-source.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';
import { removeDir, sampleBytes, scratchDir, treeDigest } from './fixtures/scratch.ts';

const MB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('through the engine', { timeout: 120_000 }, () => {
  let harness: Harness;
  afterEach(async () => {
    await harness?.cleanup();
  });

  const big = sampleBytes(5 * MB + 7, 0.2); // three parts of a 2 MB chunk
  const small = sampleBytes(1000);

  async function backUp(id: string): Promise<{ descriptorPath: string; node: NodeDescriptor }> {
    await harness.source.createCollection({ name: 'Article', multiTenant: false, shards: [{ name: 's0', status: 'HOT' }] });
    await harness.source.writeFile('Article', 's0/big.seg', big);
    await harness.source.writeFile('Article', 's0/small', small);
    await harness.engine.createBackup({ backend: 'filesystem', id, config: { chunkSizeMb: 2, compressionLevel: 'NoCompression' } });
    expect(await harness.waitForBackup(id)).toBe('SUCCESS');
    const descriptorPath = join(harness.backupRoot, id, 'node1', 'backup.json');
    return { descriptorPath, node: JSON.parse(await readFile(descriptorPath, 'utf8')) as NodeDescriptor };
  }

  async function restored(id: string): Promise<string> {
    await harness.source.dropCollection('Article');
    await harness.engine.restore({ backend: 'filesystem', id });
    return await harness.waitForRestore(id);
  }

  test('a new backup records its hashing scheme; whole files record a sha256, the parts of a split file do not', async () => {
    harness = await createHarness('hashing-new');
    const { node } = await backUp('new');
    expect(FORMAT_VERSION).toBe('2.3');
    expect(node.version).toBe('2.3');
    expect(node.hashing).toEqual({ algorithm: 'sha256', partHashes: false });
    const article = node.collections[0];
    const bigRecord = article?.files.find((file) => file.path === 's0/big.seg');
    const smallRecord = article?.files.find((file) => file.path === 's0/small');
    expect(bigRecord?.sha256).toBe(sha256(big));
    expect(smallRecord?.sha256).toBe(sha256(small));
    const parts = article?.chunks.filter((chunk) => bigRecord?.chunks.includes(chunk.key)).flatMap((chunk) => chunk.entries) ?? [];
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).not.toHaveProperty('sha256');
    const smallEntry = article?.chunks.flatMap((chunk) => chunk.entries).find((entry) => entry.path === 's0/small');
    expect(smallEntry?.sha256).toBe(sha256(small));

    expect(await restored('new')).toBe('SUCCESS');
    expect(await readFile(join(harness.source.collectionDir('Article'), 's0', 'big.seg'))).toEqual(big);
  });

  test('a backup of format 2.2 (a sha256 per part, no hashing record) restores, verifies, and still checks every part', async () => {
    harness = await createHarness('hashing-old');
    const { descriptorPath, node } = await backUp('old');
    // What format 2.2 wrote: the same chunks, every entry with the sha256 of its own bytes.
    const source = { 's0/big.seg': big, 's0/small': small } as Record<string, Buffer>;
    const { hashing: _, ...rest } = node;
    const old: NodeDescriptor = {
      ...rest,
      version: '2.2',
      collections: node.collections.map((collection) => ({
        ...collection,
        chunks: collection.chunks.map((chunk) => ({
          ...chunk,
          entries: chunk.entries.map((entry) => ({
            ...entry,
            sha256: sha256((source[entry.path] as Buffer).subarray(entry.offset, entry.offset + entry.length)),
          })),
        })),
      })),
    };
    await writeFile(descriptorPath, encodeDescriptor(old));
    const verified = await verifyBackup({ id: 'old', provider: harness.provider });
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(await restored('old')).toBe('SUCCESS');
    expect(await treeDigest(harness.source.collectionDir('Article'))).toMatchObject({ 's0/big.seg': sha256(big), 's0/small': sha256(small) });

    // A 2.2 part whose bytes differ from its recorded sha256 fails, naming its chunk: parts are still checked.
    const bigRecord = old.collections[0]?.files.find((file) => file.path === 's0/big.seg') as FileRecord;
    const middle = bigRecord.chunks[1] as string;
    const wrong: NodeDescriptor = {
      ...old,
      collections: old.collections.map((collection) => ({
        ...collection,
        chunks: collection.chunks.map((chunk) =>
          chunk.key === middle ? { ...chunk, entries: chunk.entries.map((entry) => ({ ...entry, sha256: sha256(Buffer.from('other')) })) } : chunk,
        ),
      })),
    };
    await writeFile(descriptorPath, encodeDescriptor(wrong));
    expect(await restored('old')).toBe('FAILED');
    expect((await harness.engine.restoreStatus('filesystem', 'old')).error).toContain(middle);
    expect(await harness.source.collectionExists('Article')).toBe(false);
    expect(await listFiles(join(harness.source.root, '.staging'))).toEqual([]);
  });
});

test('a node descriptor hashed with an algorithm this node does not know is NOT_SUPPORTED', () => {
  const descriptor = {
    version: '2.9',
    id: 'x',
    node: 'node1',
    status: 'SUCCESS',
    compression: compressionSpec('NoCompression'),
    collections: [],
    hashing: { algorithm: 'blake3', partHashes: false },
  };
  const decode = () => decodeNodeDescriptor(Buffer.from(JSON.stringify(descriptor)));
  expect(() => decode()).toThrow(BackupError);
  const error = (() => {
    try {
      decode();
    } catch (caught) {
      return caught;
    }
  })();
  expect(BackupError.is(error, ErrorCode.NOT_SUPPORTED)).toBe(true);
  descriptor.hashing.algorithm = 'sha256';
  expect(decode().hashing).toEqual({ algorithm: 'sha256', partHashes: false });
});

describe('through the packer', () => {
  let dir: string;
  let provider: FilesystemProvider;
  let workers: ChunkWorkerPool;

  beforeEach(async () => {
    dir = await scratchDir('hashing');
    provider = new FilesystemProvider({ path: join(dir, 'store') });
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  async function packed(files: Record<string, Buffer>): Promise<{ chunks: ChunkRecord[]; records: FileRecord[] }> {
    const list: SnapshotFile[] = [];
    for (const [path, data] of Object.entries(files)) {
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'src', 'a'), { recursive: true }));
      await writeFile(join(dir, 'src', ...path.split('/')), data);
      list.push({ path, size: data.byteLength, shard: 'a' });
    }
    const chunks: ChunkRecord[] = [];
    const records: FileRecord[] = [];
    for (const job of planChunks(list, 2 * MB)) {
      const result = await packJob(job, {
        provider,
        location: {},
        compression: compressionSpec('NoCompression'),
        root: join(dir, 'src'),
        keyFor: (index) => `b/node1/C/chunk-${index}`,
        signal: new AbortController().signal,
        workers,
      });
      chunks.push(...result.chunks);
      records.push(...result.files);
    }
    return { chunks, records };
  }

  async function unpacked(chunks: readonly ChunkRecord[], records: readonly FileRecord[]): Promise<unknown> {
    try {
      for (const job of planUnpack(chunks, records)) {
        await unpackJob(job, { provider, location: {}, codec: 'none', directory: join(dir, 'restored'), signal: new AbortController().signal, workers });
      }
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /** Flips one byte in the middle of a stored chunk: with NoCompression it lands in file bytes, past every tar header. */
  async function flipByteIn(chunk: ChunkRecord): Promise<void> {
    const path = join(dir, 'store', ...chunk.key.split('/'));
    const bytes = await readFile(path);
    const at = Math.floor(bytes.byteLength / 2);
    bytes[at] = (bytes[at] as number) ^ 0x04;
    await writeFile(path, bytes);
  }

  for (const mode of ['off', 'on'] as const) {
    describe(mode === 'on' ? 'in worker threads' : 'in the main thread', { timeout: 120_000 }, () => {
      beforeAll(() => {
        workers = new ChunkWorkerPool({ mode });
      });
      afterAll(async () => {
        await workers.close();
      });

      test('a flipped byte in a part of a split file fails CORRUPT naming that chunk', async () => {
        const { chunks, records } = await packed({ 'a/big': sampleBytes(5 * MB, 0), 'a/small': sampleBytes(1000) });
        const split = records.find((record) => record.path === 'a/big') as FileRecord;
        expect(split.chunks).toHaveLength(3);
        const victim = chunks.find((chunk) => chunk.key === split.chunks[1]) as ChunkRecord;
        expect(victim.entries[0]).not.toHaveProperty('sha256');
        await flipByteIn(victim);
        const error = await unpacked(chunks, records);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
        expect((error as Error).message).toContain(victim.key);
      });

      test('a flipped byte in a chunk of whole files fails CORRUPT naming that chunk', async () => {
        const { chunks, records } = await packed({ 'a/one': sampleBytes(600_000, 0), 'a/two': sampleBytes(600_000, 0) });
        expect(chunks).toHaveLength(1);
        const victim = chunks[0] as ChunkRecord;
        await flipByteIn(victim);
        const error = await unpacked(chunks, records);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
        expect((error as Error).message).toContain(victim.key);
      });

      test('a whole file whose entry records no sha256 is refused CORRUPT: nothing is written unverified', async () => {
        const { chunks, records } = await packed({ 'a/one': sampleBytes(1000) });
        const stripped = chunks.map((chunk) => ({ ...chunk, entries: chunk.entries.map(({ sha256: _, ...entry }) => entry) }));
        const error = await unpacked(stripped, records);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
        expect(await listFiles(join(dir, 'restored')).catch(() => [])).toEqual([]);
      });

      test('a split file restores byte for byte, its parts verified by its sha256 alone', async () => {
        const big = sampleBytes(4 * MB + 3, 0.4);
        const { chunks, records } = await packed({ 'a/big': big });
        expect(chunks.flatMap((chunk) => chunk.entries).every((entry) => entry.sha256 === undefined)).toBe(true);
        expect(await unpacked(chunks, records)).toBeUndefined();
        expect(await readFile(join(dir, 'restored', 'a', 'big'))).toEqual(big);
        // The whole file's sha256 is what verifies the parts: a wrong one fails CORRUPT.
        const wrong = records.map((record) => ({ ...record, sha256: sha256(Buffer.from('other')) }));
        await removeDir(join(dir, 'restored'));
        const error = await unpacked(chunks, wrong);
        expect(BackupError.is(error, ErrorCode.CORRUPT)).toBe(true);
      });
    });
  }
});
