import { compareKeys } from './entry.ts';

/**
 * A segment's block index as it stays in memory for as long as the segment is
 * open: every block's last key in one buffer, offsets and lengths in typed
 * arrays. About 50 bytes a block (the key plus 16), instead of a Buffer and an
 * object each (~200), which made the index the store's largest resident cost
 * (~10 MiB of heap per GiB of data at 16 KiB blocks).
 */
export class BlockIndex {
  readonly #keys: Buffer;
  /** Block i's last key is #keys[#keyStarts[i], #keyStarts[i + 1]). */
  readonly #keyStarts: Uint32Array;
  readonly #offsets: Float64Array;
  readonly #lengths: Uint32Array;

  constructor(keys: Buffer, keyStarts: Uint32Array, offsets: Float64Array, lengths: Uint32Array) {
    this.#keys = keys;
    this.#keyStarts = keyStarts;
    this.#offsets = offsets;
    this.#lengths = lengths;
  }

  /** Number of blocks. */
  get count(): number {
    return this.#lengths.length;
  }

  /** The greatest key in block `i` (a view into the index, not a copy). */
  lastKey(i: number): Buffer {
    return this.#keys.subarray(this.#keyStarts[i]!, this.#keyStarts[i + 1]!);
  }

  /** Where block `i` starts in the file. */
  offset(i: number): number {
    return this.#offsets[i]!;
  }

  /** Bytes of block `i`, including its trailing checksum. */
  length(i: number): number {
    return this.#lengths[i]!;
  }

  /** The first block whose last key is >= `key`; `count` when none. */
  find(key: Buffer): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.lastKey(mid), key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
