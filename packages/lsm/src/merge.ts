/**
 * K-way merge of sorted entry streams, newest source first: for each key
 * only the newest entry survives. Sources are few (memtables plus a handful
 * of segments), so a linear scan for the smallest head beats a heap.
 */
import type { Entry } from './entry.ts';
import { compareKeys } from './entry.ts';

export type EntrySource = AsyncIterator<Entry> | Iterator<Entry>;

/**
 * Merges `sources` (index 0 = newest). Tombstones are yielded too, so callers
 * can tell "deleted" from "absent"; see {@link liveEntries}.
 */
export async function* mergeEntries(sources: readonly EntrySource[]): AsyncGenerator<Entry> {
  const heads: (Entry | undefined)[] = [];
  try {
    for (const source of sources) heads.push(await next(source));
    for (;;) {
      let winner = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head === undefined) continue;
        if (winner === -1 || compareKeys(head.key, heads[winner]!.key) < 0) winner = i;
      }
      if (winner === -1) return;
      const entry = heads[winner]!;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head !== undefined && (i === winner || compareKeys(head.key, entry.key) === 0)) heads[i] = await next(sources[i]!);
      }
      yield entry;
    }
  } finally {
    for (const source of sources) await source.return?.();
  }
}

/** Drops tombstones. */
export async function* liveEntries(entries: AsyncIterable<Entry>): AsyncGenerator<Entry & { value: Buffer }> {
  for await (const entry of entries) if (entry.value !== null) yield entry as Entry & { value: Buffer };
}

async function next(source: EntrySource): Promise<Entry | undefined> {
  const result = await source.next();
  return result.done === true ? undefined : result.value;
}
