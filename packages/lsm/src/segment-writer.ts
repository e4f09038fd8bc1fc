/**
 * Streams sorted entries into a new segment file: blocks go to disk as they
 * fill, so memory holds one block plus the index and the bloom filter.
 * `finish()` fsyncs the file; only then may a manifest name it.
 */
import { promises as fsp } from 'node:fs';
import { BloomFilter } from './bloom.ts';
import type { Entry } from './entry.ts';
import { compareKeys } from './entry.ts';
import { ioError } from './errors.ts';
import { IndexEncoder, encodeEntry, encodeFooter, entrySize, withChecksum } from './segment-format.ts';
import { crc32 } from 'node:zlib';

export interface SegmentWriterOptions {
  /** Upper bound of the number of entries, to size the bloom filter. */
  readonly expectedEntries: number;
  readonly blockBytes: number;
  readonly bloomBitsPerKey: number;
}

export class SegmentWriter {
  readonly path: string;
  readonly #handle: fsp.FileHandle;
  readonly #options: SegmentWriterOptions;
  readonly #bloom: BloomFilter;
  readonly #index = new IndexEncoder();
  #pending: Entry[] = [];
  #pendingBytes = 0;
  #offset = 0;
  #entryCount = 0;
  #tombstoneCount = 0;
  #lastKey: Buffer | undefined;

  private constructor(path: string, handle: fsp.FileHandle, options: SegmentWriterOptions) {
    this.path = path;
    this.#handle = handle;
    this.#options = options;
    this.#bloom = BloomFilter.create(options.expectedEntries, options.bloomBitsPerKey);
  }

  /** Creates the file; fails if it exists. */
  static async create(path: string, options: SegmentWriterOptions): Promise<SegmentWriter> {
    try {
      return new SegmentWriter(path, await fsp.open(path, 'wx'), options);
    } catch (error) {
      throw ioError(error, `create segment ${path}`);
    }
  }

  get entryCount(): number {
    return this.#entryCount;
  }

  /** Appends an entry; keys must strictly increase. */
  async add(entry: Entry): Promise<void> {
    if (this.#lastKey !== undefined && compareKeys(this.#lastKey, entry.key) >= 0) {
      throw new RangeError('segment keys must strictly increase');
    }
    this.#lastKey = entry.key;
    this.#bloom.add(entry.key);
    this.#entryCount++;
    if (entry.value === null) this.#tombstoneCount++;
    this.#pending.push(entry);
    this.#pendingBytes += entrySize(entry);
    if (this.#pendingBytes >= this.#options.blockBytes) await this.#writeBlock();
  }

  /** Writes bloom filter, index and footer, fsyncs and closes. Returns the file size. */
  async finish(): Promise<number> {
    try {
      if (this.#pending.length > 0) await this.#writeBlock();
      const bloom = withChecksum(this.#bloom.serialize());
      const bloomOffset = this.#offset;
      await this.#append(bloom);
      const index = this.#index.finish();
      const indexOffset = this.#offset;
      await this.#append(index);
      await this.#append(
        encodeFooter({
          bloomOffset,
          bloomLength: bloom.length,
          indexOffset,
          indexLength: index.length,
          blockCount: this.#index.blockCount,
          entryCount: this.#entryCount,
          tombstoneCount: this.#tombstoneCount,
        }),
      );
      await this.#handle.datasync();
    } catch (error) {
      await this.abort();
      throw ioError(error, `write segment ${this.path}`);
    }
    await this.#handle.close();
    return this.#offset;
  }

  /** Closes and deletes the partial file. Safe to call more than once. */
  async abort(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await fsp.rm(this.path, { force: true });
  }

  async #writeBlock(): Promise<void> {
    // Not from Node's shared pool: see IndexEncoder.
    const body = Buffer.allocUnsafeSlow(this.#pendingBytes + 4);
    let at = 0;
    for (const entry of this.#pending) at = encodeEntry(entry, body, at);
    body.writeUInt32LE(crc32(body.subarray(0, at)), at);
    this.#index.add(this.#pending[this.#pending.length - 1]!.key, this.#offset, body.length);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#append(body);
  }

  async #append(data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle.write(data, written, data.length - written, this.#offset + written);
      written += bytesWritten;
    }
    this.#offset += data.length;
  }
}
