/**
 * The sorted in-memory table of recent writes (a B+ tree from
 * `sorted-btree`). Writable while active; frozen once swapped out, then
 * flushed to a segment.
 */
import { createRequire } from 'node:module';
import type SortedBtree from 'sorted-btree';
import type { Entry } from './entry.ts';
import { compareKeys } from './entry.ts';
import type { Lookup } from './segment.ts';

/** Approximate per-entry bookkeeping cost, so tiny values still fill the table. */
const ENTRY_OVERHEAD_BYTES = 48;

// sorted-btree is CommonJS with `exports.default`; ESM default-import interop differs between
// Node and bundlers/vitest, so load it with require() and take `default` explicitly.
const BTree = (createRequire(import.meta.url)('sorted-btree') as { default: typeof SortedBtree.default }).default;

export class Memtable {
  readonly #tree = new BTree<Buffer, Buffer | null>(undefined, compareKeys);
  #bytes = 0;

  /** Approximate memory held, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#tree.size;
  }

  /** Records a put (`value`) or a delete (`null`). */
  set(key: Buffer, value: Buffer | null): void {
    const previous = this.#tree.get(key);
    if (previous !== undefined || this.#tree.has(key)) {
      this.#bytes -= previous?.length ?? 0;
    } else {
      this.#bytes += key.length + ENTRY_OVERHEAD_BYTES;
    }
    this.#bytes += value?.length ?? 0;
    this.#tree.set(key, value);
  }

  get(key: Buffer): Lookup {
    return this.#tree.get(key);
  }

  /** The first entry with a key strictly greater than `after` (the first one when undefined). */
  next(after: Buffer | undefined): Entry | undefined {
    const pair = this.#tree.nextHigherPair(after);
    return pair === undefined ? undefined : { key: pair[0], value: pair[1] };
  }

  /**
   * Entries after `after`, in order. Re-seeks on every step, so writes that
   * land in the table meanwhile are safe (and visible if they sort later).
   */
  *entries(after?: Buffer): Generator<Entry> {
    let cursor = after;
    for (;;) {
      const entry = this.next(cursor);
      if (entry === undefined) return;
      cursor = entry.key;
      yield entry;
    }
  }
}
