/**
 * An immutable segment file opened for reading. The block index and bloom
 * filter live in memory; blocks are read on demand and their checksums
 * verified on every read. Reference counted, so that compaction can retire a
 * segment while a scan still reads it: the file descriptor closes when the
 * last reader lets go (POSIX keeps an unlinked file readable until then).
 */
import { promises as fsp } from 'node:fs';
import type { BlockIndex } from './block-index.ts';
import { type BloomHash, BloomFilter } from './bloom.ts';
import type { Entry } from './entry.ts';
import { compareKeys } from './entry.ts';
import { corrupt, ioError } from './errors.ts';
import { FOOTER_BYTES, type Footer, decodeBlock, decodeFooter, decodeIndex, findInBlock, withoutChecksum } from './segment-format.ts';

/** A point lookup's answer: `undefined` = not in this segment; `null` = deleted here. */
export type Lookup = Buffer | null | undefined;

export class Segment {
  /** File name inside its bucket folder, e.g. `000012.seg`. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly footer: Footer;
  readonly #handle: fsp.FileHandle;
  readonly #blocks: BlockIndex;
  readonly #bloom: BloomFilter;
  #refs = 1;

  private constructor(name: string, path: string, size: number, handle: fsp.FileHandle, footer: Footer, blocks: BlockIndex, bloom: BloomFilter) {
    this.name = name;
    this.path = path;
    this.size = size;
    this.#handle = handle;
    this.footer = footer;
    this.#blocks = blocks;
    this.#bloom = bloom;
  }

  /** Opens and verifies footer, index and bloom filter. The caller holds the first reference. */
  static async open(path: string, name: string): Promise<Segment> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, 'r');
    } catch (error) {
      throw ioError(error, `open segment ${path}`);
    }
    try {
      const { size } = await handle.stat();
      if (size < FOOTER_BYTES) throw corrupt(`${path}: too short for a segment`);
      const footer = decodeFooter(await readAt(handle, size - FOOTER_BYTES, FOOTER_BYTES), path);
      if (footer.indexOffset + footer.indexLength + FOOTER_BYTES !== size || footer.bloomOffset + footer.bloomLength !== footer.indexOffset) {
        throw corrupt(`${path}: footer does not match the file size`);
      }
      const index = decodeIndex(await readAt(handle, footer.indexOffset, footer.indexLength), footer.blockCount, path);
      const bloom = BloomFilter.deserialize(withoutChecksum(await readAt(handle, footer.bloomOffset, footer.bloomLength), `${path} bloom`));
      return new Segment(name, path, size, handle, footer, index, bloom);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw ioError(error, `open segment ${path}`);
    }
  }

  get entryCount(): number {
    return this.footer.entryCount;
  }

  get tombstoneCount(): number {
    return this.footer.tombstoneCount;
  }

  /** Takes a reference; pair with {@link unref}. */
  ref(): this {
    if (this.#refs <= 0) throw new Error(`segment ${this.path} used after close`);
    this.#refs++;
    return this;
  }

  /** Drops a reference; the file closes with the last one. */
  unref(): void {
    if (--this.#refs === 0) void this.#handle.close().catch(() => undefined);
  }

  /** False when the key is certainly not in this segment (bloom filter, no I/O). */
  mayContain(key: Buffer | BloomHash): boolean {
    return this.#bloom.mayContain(key);
  }

  /** Point lookup: bloom filter, then binary search of the index, then one block. */
  async get(key: Buffer): Promise<Lookup> {
    if (!this.#bloom.mayContain(key)) return undefined;
    const blockIndex = this.#blocks.find(key);
    if (blockIndex === this.#blocks.count) return undefined;
    const where = `${this.path} block ${blockIndex}`;
    try {
      // Walking the raw block beats decoding all its entries for the one wanted.
      return findInBlock(await readAt(this.#handle, this.#blocks.offset(blockIndex), this.#blocks.length(blockIndex)), key, where);
    } catch (error) {
      throw ioError(error, `read segment ${this.path}`);
    }
  }

  /** Entries with keys strictly greater than `after` (all when undefined), in order, block by block. */
  async *entries(after?: Buffer): AsyncGenerator<Entry> {
    let blockIndex = after === undefined ? 0 : this.#blocks.find(after);
    for (; blockIndex < this.#blocks.count; blockIndex++) {
      const entries = await this.#readBlock(blockIndex);
      for (const entry of entries) {
        if (after !== undefined && compareKeys(entry.key, after) <= 0) continue;
        yield entry;
      }
    }
  }

  async #readBlock(index: number): Promise<Entry[]> {
    try {
      const bytes = await readAt(this.#handle, this.#blocks.offset(index), this.#blocks.length(index));
      return decodeBlock(bytes, `${this.path} block ${index}`);
    } catch (error) {
      throw ioError(error, `read segment ${this.path}`);
    }
  }
}

/**
 * Reads `length` bytes into a buffer of its own. Not `allocUnsafe`: Node 24
 * serves sizes under 32 KiB from shared 64 KiB slabs, and one long-lived
 * slice (a bloom filter, an entry a caller keeps) would pin a whole slab of
 * other blocks.
 */
async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafeSlow(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) throw corrupt(`unexpected end of file at ${position + read}`);
    read += bytesRead;
  }
  return buffer;
}
