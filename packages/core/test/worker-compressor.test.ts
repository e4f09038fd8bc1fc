// The compressor chunk worker threads use (gzip: one member per MiB,
// compressed in the calling thread; zstd and none: zlib's stream): what it
// writes must read back as one stream, with our decoder on every supported
// Node (this file also runs on the oldest) and with the standard tools.
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { compressionSpec, createCompressor, createDecompressor } from '../src/engine/compression.ts';
import { BLOCK_BYTES, createWorkerCompressor } from '../src/engine/worker-compressor.ts';
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

const data = sampleBytes(3 * BLOCK_BYTES + 12_345, 0.6);

describe.each(['BestSpeed', 'DefaultCompression', 'BestCompression'] as const)('gzip, %s: blocks of its own', (level) => {
  const spec = compressionSpec(level);

  test('3 blocks and a bit, written unevenly, decode to the same bytes with our decoder and gzip -d', async () => {
    const stored = await through(unevenWrites(data), createWorkerCompressor(spec));
    expect((await through([stored], createDecompressor('gzip'))).equals(data)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: stored, maxBuffer: 64 * 1024 * 1024 }).equals(data)).toBe(true);
    const streamed = await through(unevenWrites(data), createCompressor(spec));
    expect(stored.equals(streamed)).toBe(false); // members of its own, not zlib's one stream
    // ...which cost next to nothing against one stream.
    expect(stored.length).toBeLessThan(streamed.length * 1.01 + 1024);
  });

  test('nothing in, a valid empty stream out', async () => {
    const stored = await through([], createWorkerCompressor(spec));
    expect(stored.length).toBeGreaterThan(0);
    expect((await through([stored], createDecompressor('gzip'))).length).toBe(0);
  });

  test('exactly one block: no empty member after it', async () => {
    const block = data.subarray(0, BLOCK_BYTES);
    const stored = await through([block], createWorkerCompressor(spec));
    expect((await through([stored], createDecompressor('gzip'))).equals(block)).toBe(true);
    const emptyMember = await through([], createWorkerCompressor(spec));
    expect(stored.subarray(-emptyMember.length).equals(emptyMember)).toBe(false);
  });
});

// One zstd frame per chunk: Node 22.15's stream decoder reads only the first of several.
describe.each(['ZstdBestSpeed', 'ZstdDefaultCompression', 'NoCompression'] as const)("%s: zlib's stream", (level) => {
  const spec = compressionSpec(level);

  test('the same bytes as the main thread writes, and they decode', async () => {
    const stored = await through(unevenWrites(data), createWorkerCompressor(spec));
    expect(stored.equals(await through(unevenWrites(data), createCompressor(spec)))).toBe(true);
    expect((await through([stored], createDecompressor(spec.codec))).equals(data)).toBe(true);
  });
});
