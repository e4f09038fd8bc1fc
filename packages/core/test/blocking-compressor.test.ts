// The compressor worker threads use (one gzip member or zstd frame per MiB,
// compressed in the calling thread): what it writes must read back as one
// stream, with our decoder and with the standard tools.
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { BLOCK_BYTES, createBlockingCompressor } from '../src/engine/blocking-compressor.ts';
import { compressionSpec, createCompressor, createDecompressor } from '../src/engine/compression.ts';
import { sampleBytes } from './fixtures/scratch.ts';

async function through(input: readonly Buffer[], transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from(input), transform, async (source: AsyncIterable<string | Buffer>) => {
    for await (const part of source) parts.push(Buffer.from(part));
  });
  return Buffer.concat(parts);
}

/** `bytes` cut into writes of uneven sizes, none aligned to a block. */
function unevenWrites(bytes: Buffer): Buffer[] {
  const writes: Buffer[] = [];
  for (let offset = 0, size = 1; offset < bytes.length; offset += size, size = (size * 7 + 12_345) % 700_001)
    writes.push(bytes.subarray(offset, offset + size));
  return writes;
}

const TOOLS = { gzip: ['gzip', '-dc'], zstd: ['zstd', '-dcq'] } as const;

describe.each(['DefaultCompression', 'ZstdDefaultCompression', 'ZstdBestCompression'] as const)('%s', (level) => {
  const spec = compressionSpec(level);
  const data = sampleBytes(3 * BLOCK_BYTES + 12_345, 0.6);

  test('3 blocks and a bit, written unevenly, decode to the same bytes with our decoder and the standard tool', async () => {
    const stored = await through(unevenWrites(data), createBlockingCompressor(spec));
    expect((await through([stored], createDecompressor(spec.codec))).equals(data)).toBe(true);
    const [tool, ...args] = TOOLS[spec.codec as 'gzip' | 'zstd'];
    expect(execFileSync(tool, args, { input: stored, maxBuffer: 64 * 1024 * 1024 }).equals(data)).toBe(true);
    // Blocks cost next to nothing against one stream (here: the zeros compress alike either way).
    const streamed = await through([data], createCompressor(spec));
    expect(stored.length).toBeLessThan(streamed.length * 1.01 + 1024);
  });

  test('nothing in, a valid empty stream out', async () => {
    const stored = await through([], createBlockingCompressor(spec));
    expect(stored.length).toBeGreaterThan(0);
    expect((await through([stored], createDecompressor(spec.codec))).length).toBe(0);
  });

  test('exactly one block: no empty block after it', async () => {
    const block = data.subarray(0, BLOCK_BYTES);
    const stored = await through([block], createBlockingCompressor(spec));
    expect((await through([stored], createDecompressor(spec.codec))).equals(block)).toBe(true);
    const emptyBlock = await through([], createBlockingCompressor(spec));
    expect(stored.subarray(-emptyBlock.length).equals(emptyBlock)).toBe(false);
  });
});

test('NoCompression passes the bytes through untouched', async () => {
  const data = sampleBytes(BLOCK_BYTES + 1);
  expect((await through(unevenWrites(data), createBlockingCompressor(compressionSpec('NoCompression')))).equals(data)).toBe(true);
});
