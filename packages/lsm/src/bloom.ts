/**
 * A classic Bloom filter (Kirsch–Mitzenmacher double hashing: probe i is
 * h1 + i·h2 mod m) over two independent 32-bit hashes, CRC-32 and FNV-1a.
 * Small enough to own: the npm options either hash strings only or pull in
 * several dependencies. Serialized into each segment and verified by the
 * segment's checksums.
 */
import { crc32 } from 'node:zlib';

/** See {@link BloomFilter.hash}. */
export interface BloomHash {
  readonly h1: number;
  readonly h2: number;
}

export class BloomFilter {
  readonly bits: Uint8Array;
  readonly bitCount: number;
  readonly hashCount: number;

  private constructor(bits: Uint8Array, hashCount: number) {
    this.bits = bits;
    this.bitCount = bits.length * 8;
    this.hashCount = hashCount;
  }

  /** An empty filter sized for `expectedKeys` at `bitsPerKey` (10 bits ≈ 1% false positives). */
  static create(expectedKeys: number, bitsPerKey: number): BloomFilter {
    const bitCount = Math.max(64, Math.ceil(Math.max(1, expectedKeys) * bitsPerKey));
    const hashCount = Math.min(30, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
    return new BloomFilter(new Uint8Array(Math.ceil(bitCount / 8)), hashCount);
  }

  /** Reads the form written by {@link serialize}. */
  static deserialize(data: Uint8Array): BloomFilter {
    if (data.length < 2) throw new RangeError('bloom filter too short');
    return new BloomFilter(data.subarray(1), data[0]!);
  }

  /** The key's two hashes; filters of any size probe with them, so checking many filters hashes once. */
  static hash(key: Uint8Array): BloomHash {
    return { h1: crc32(key), h2: fnv1a(key) | 1 };
  }

  add(key: Uint8Array): void {
    const { h1, h2 } = BloomFilter.hash(key);
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const index = bit % this.bitCount;
      this.bits[index >>> 3]! |= 1 << (index & 7);
    }
  }

  /** False means certainly absent; true means probably present. */
  mayContain(key: Uint8Array | BloomHash): boolean {
    const { h1, h2 } = key instanceof Uint8Array ? BloomFilter.hash(key) : key;
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const index = bit % this.bitCount;
      if ((this.bits[index >>> 3]! & (1 << (index & 7))) === 0) return false;
    }
    return true;
  }

  /** One byte of hash count, then the bit array. */
  serialize(): Uint8Array {
    const out = new Uint8Array(this.bits.length + 1);
    out[0] = this.hashCount;
    out.set(this.bits, 1);
    return out;
  }
}

function fnv1a(data: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    hash ^= data[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
