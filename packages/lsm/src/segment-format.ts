/**
 * Byte layout of a segment file (all integers little-endian):
 *
 * ```
 * block*   entries, then u32 crc32 of the entries
 *          entry = u8 kind (1 put, 0 tombstone) · u32 keyLength · key · [u32 valueLength · value]
 * bloom    serialized BloomFilter, then u32 crc32
 * index    per block: u32 lastKeyLength · lastKey · u64 offset · u32 length; then u32 crc32
 * footer   FOOTER_BYTES: magic · u64 bloomOffset · u32 bloomLength · u64 indexOffset ·
 *          u32 indexLength · u32 blockCount · u64 entryCount · u64 tombstoneCount · u32 crc32
 * ```
 * Every part carries its own checksum, verified whenever it is read.
 */
import { crc32 } from 'node:zlib';
import { BlockIndex } from './block-index.ts';
import type { Entry } from './entry.ts';
import { corrupt } from './errors.ts';

export const SEGMENT_MAGIC = Buffer.from('LSMSEG01', 'latin1');
export const FOOTER_BYTES = 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4;
export const KIND_TOMBSTONE = 0;
export const KIND_PUT = 1;

export interface Footer {
  readonly bloomOffset: number;
  readonly bloomLength: number;
  readonly indexOffset: number;
  readonly indexLength: number;
  readonly blockCount: number;
  readonly entryCount: number;
  readonly tombstoneCount: number;
}

/** Bytes one entry takes inside a block. */
export function entrySize(entry: Entry): number {
  return 1 + 4 + entry.key.length + (entry.value === null ? 0 : 4 + entry.value.length);
}

export function encodeEntry(entry: Entry, out: Buffer, offset: number): number {
  let at = out.writeUInt8(entry.value === null ? KIND_TOMBSTONE : KIND_PUT, offset);
  at = out.writeUInt32LE(entry.key.length, at);
  at += entry.key.copy(out, at);
  if (entry.value !== null) {
    at = out.writeUInt32LE(entry.value.length, at);
    at += entry.value.copy(out, at);
  }
  return at;
}

/** Verifies a block's checksum and decodes its entries (keys and values share the block's memory). */
export function decodeBlock(block: Buffer, where: string): Entry[] {
  if (block.length < 4) throw corrupt(`${where}: block too short`);
  const body = block.subarray(0, block.length - 4);
  if (crc32(body) !== block.readUInt32LE(block.length - 4)) throw corrupt(`${where}: block checksum mismatch`);
  const entries: Entry[] = [];
  let at = 0;
  try {
    while (at < body.length) {
      const kind = body.readUInt8(at);
      const keyLength = body.readUInt32LE(at + 1);
      at += 5;
      const key = body.subarray(at, at + keyLength);
      at += keyLength;
      if (kind === KIND_PUT) {
        const valueLength = body.readUInt32LE(at);
        at += 4;
        entries.push({ key, value: body.subarray(at, at + valueLength) });
        at += valueLength;
      } else if (kind === KIND_TOMBSTONE) {
        entries.push({ key, value: null });
      } else {
        throw corrupt(`${where}: unknown entry kind ${kind}`);
      }
    }
  } catch (error) {
    throw corrupt(`${where}: malformed block`, error);
  }
  if (at !== body.length) throw corrupt(`${where}: malformed block`);
  return entries;
}

/**
 * Point lookup inside one block: verifies the checksum, then walks the
 * entries comparing keys in place (no per-entry allocation) and stops at the
 * first greater key. `undefined`: not in the block; `null`: a tombstone.
 */
export function findInBlock(block: Buffer, key: Buffer, where: string): Buffer | null | undefined {
  if (block.length < 4) throw corrupt(`${where}: block too short`);
  const end = block.length - 4;
  if (crc32(block.subarray(0, end)) !== block.readUInt32LE(end)) throw corrupt(`${where}: block checksum mismatch`);
  let at = 0;
  try {
    while (at < end) {
      const kind = block.readUInt8(at);
      const keyLength = block.readUInt32LE(at + 1);
      const keyStart = at + 5;
      at = keyStart + keyLength;
      if (at > end) throw new RangeError('key past the end of the block');
      const order = key.compare(block, keyStart, at);
      let valueStart = at;
      if (kind === KIND_PUT) {
        valueStart = at + 4;
        at = valueStart + block.readUInt32LE(at);
        if (at > end) throw new RangeError('value past the end of the block');
      } else if (kind !== KIND_TOMBSTONE) {
        throw corrupt(`${where}: unknown entry kind ${kind}`);
      }
      if (order === 0) return kind === KIND_PUT ? block.subarray(valueStart, at) : null;
      if (order < 0) return undefined; // keys are sorted: it would have come already
    }
  } catch (error) {
    throw corrupt(`${where}: malformed block`, error);
  }
  return undefined;
}

/**
 * Builds a segment's index while its blocks are written. The records are
 * encoded into one buffer of its own as they come: keeping each block's last
 * key as a small Buffer instead would pin, per key, a whole 64 KiB slab of
 * Node's shared allocation pool (Node 24 pools allocations under 32 KiB, so
 * the slabs also hold block data), and a compaction's memory would grow with
 * the data it merges.
 */
export class IndexEncoder {
  #out = Buffer.allocUnsafeSlow(4096);
  #length = 0;
  #count = 0;

  /** Number of blocks added. */
  get blockCount(): number {
    return this.#count;
  }

  /** Records a block: its greatest key, where it starts and its length including the checksum. */
  add(lastKey: Uint8Array, offset: number, length: number): void {
    this.#reserve(4 + lastKey.length + 8 + 4);
    let at = this.#out.writeUInt32LE(lastKey.length, this.#length);
    this.#out.set(lastKey, at);
    at += lastKey.length;
    at = this.#out.writeBigUInt64LE(BigInt(offset), at);
    this.#length = this.#out.writeUInt32LE(length, at);
    this.#count++;
  }

  /** The encoded index with its checksum. */
  finish(): Buffer {
    this.#reserve(4);
    this.#out.writeUInt32LE(crc32(this.#out.subarray(0, this.#length)), this.#length);
    return this.#out.subarray(0, this.#length + 4);
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#out.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#out.length * 2, this.#length + bytes));
    this.#out.copy(grown, 0, 0, this.#length);
    this.#out = grown;
  }
}

export function decodeIndex(data: Buffer, blockCount: number, where: string): BlockIndex {
  const body = data.subarray(0, data.length - 4);
  if (data.length < 4 || crc32(body) !== data.readUInt32LE(data.length - 4)) throw corrupt(`${where}: index checksum mismatch`);
  const keyStarts = new Uint32Array(blockCount + 1);
  const offsets = new Float64Array(blockCount);
  const lengths = new Uint32Array(blockCount);
  // Keys take the index minus its fixed 16 bytes a block; copied out so the file's read buffer can go.
  const keys = Buffer.allocUnsafeSlow(Math.max(0, body.length - 16 * blockCount));
  let at = 0;
  let keyBytes = 0;
  try {
    for (let i = 0; i < blockCount; i++) {
      const keyLength = body.readUInt32LE(at);
      at += 4;
      if (at + keyLength > body.length || keyBytes + keyLength > keys.length) throw new RangeError('key runs past the index');
      body.copy(keys, keyBytes, at, at + keyLength);
      keyStarts[i] = keyBytes;
      keyBytes += keyLength;
      at += keyLength;
      offsets[i] = Number(body.readBigUInt64LE(at));
      lengths[i] = body.readUInt32LE(at + 8);
      at += 12;
    }
    keyStarts[blockCount] = keyBytes;
  } catch (error) {
    throw corrupt(`${where}: malformed index`, error);
  }
  return new BlockIndex(keys.subarray(0, keyBytes), keyStarts, offsets, lengths);
}

/** Appends a crc32 of `data`. */
export function withChecksum(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + 4);
  out.set(data, 0);
  out.writeUInt32LE(crc32(data), data.length);
  return out;
}

/** Verifies and strips the trailing crc32. */
export function withoutChecksum(data: Buffer, where: string): Buffer {
  const body = data.subarray(0, data.length - 4);
  if (data.length < 4 || crc32(body) !== data.readUInt32LE(data.length - 4)) throw corrupt(`${where}: checksum mismatch`);
  return body;
}

export function encodeFooter(footer: Footer): Buffer {
  const out = Buffer.alloc(FOOTER_BYTES);
  let at = SEGMENT_MAGIC.copy(out, 0);
  at = out.writeBigUInt64LE(BigInt(footer.bloomOffset), at);
  at = out.writeUInt32LE(footer.bloomLength, at);
  at = out.writeBigUInt64LE(BigInt(footer.indexOffset), at);
  at = out.writeUInt32LE(footer.indexLength, at);
  at = out.writeUInt32LE(footer.blockCount, at);
  at = out.writeBigUInt64LE(BigInt(footer.entryCount), at);
  at = out.writeBigUInt64LE(BigInt(footer.tombstoneCount), at);
  out.writeUInt32LE(crc32(out.subarray(0, at)), at);
  return out;
}

export function decodeFooter(data: Buffer, where: string): Footer {
  if (data.length !== FOOTER_BYTES || !data.subarray(0, 8).equals(SEGMENT_MAGIC)) throw corrupt(`${where}: not a segment file`);
  if (crc32(data.subarray(0, FOOTER_BYTES - 4)) !== data.readUInt32LE(FOOTER_BYTES - 4)) throw corrupt(`${where}: footer checksum mismatch`);
  let at = 8;
  const bloomOffset = Number(data.readBigUInt64LE(at));
  const bloomLength = data.readUInt32LE(at + 8);
  const indexOffset = Number(data.readBigUInt64LE(at + 12));
  const indexLength = data.readUInt32LE(at + 20);
  const blockCount = data.readUInt32LE(at + 24);
  at += 28;
  const entryCount = Number(data.readBigUInt64LE(at));
  const tombstoneCount = Number(data.readBigUInt64LE(at + 8));
  return { bloomOffset, bloomLength, indexOffset, indexLength, blockCount, entryCount, tombstoneCount };
}
