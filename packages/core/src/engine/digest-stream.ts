import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while counting them and computing their
 * sha256. `extra` hashes (e.g. a whole file's, across its parts) are fed too.
 */
export class DigestStream extends Transform {
  #hash = createHash('sha256');
  #extra: readonly Hash[];
  #size = 0;
  #digest: string | undefined;

  constructor(extra: readonly Hash[] = []) {
    super({ highWaterMark: 64 * 1024 });
    this.#extra = extra;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.byteLength;
    this.#hash.update(chunk);
    for (const hash of this.#extra) hash.update(chunk);
    callback(null, chunk);
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  /** The sha256 (hex) of everything seen; call once the stream has ended. */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}
