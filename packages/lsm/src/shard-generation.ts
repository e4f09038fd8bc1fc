/**
 * One WAL generation of a shard: its WAL file, its memtables, and how its
 * writes changed the live key count of the counted bucket (see the notes in
 * shard.ts: known at once when the memtables or the bloom filters tell,
 * otherwise queued and looked up in the segments later).
 */
import { BloomFilter } from './bloom.ts';
import { Memtable } from './memtable.ts';
import type { Segment } from './segment.ts';
import type { LiveSet } from './shard-snapshot.ts';
import type { Operation } from './wal-record.ts';
import type { WalWriter } from './wal.ts';

export interface Generation {
  readonly number: number;
  readonly wal: WalWriter;
  readonly tables: Map<string, Memtable>;
  bytes: number;
  /** How much this generation's writes changed the counted bucket's live key count, as far as known. */
  liveKeysDelta: number;
  /** Writes of keys no memtable held and some bloom filter may: their delta needs a segment lookup. */
  readonly unresolved: UnresolvedWrite[];
  /** Settles when the generation is in segments, with the live set right after it was installed. */
  flushed?: Promise<LiveSet>;
}

/** A write of the counted bucket whose key's state before it is still in the segments only. */
interface UnresolvedWrite {
  readonly key: Buffer;
  readonly live: boolean;
}

export function newGeneration(number: number, wal: WalWriter): Generation {
  return { number, wal, tables: new Map(), bytes: 0, liveKeysDelta: 0, unresolved: [] };
}

/** Sets `op` in the generation's memtable of its bucket. */
export function applyToMemtable(generation: Generation, op: Operation): void {
  let table = generation.tables.get(op.bucket);
  if (table === undefined) {
    table = new Memtable();
    generation.tables.set(op.bucket, table);
  }
  const before = table.bytes;
  table.set(op.key, op.value);
  generation.bytes += table.bytes - before;
}

/**
 * Accounts a write of the counted bucket before it is applied, at once
 * when the key's prior state is known without I/O (returned): `inMemory`
 * is its newest memtable entry (null: deleted; undefined: none), and no
 * bloom filter of `segments` may hold it. Otherwise queues it (returns
 * undefined).
 */
export function countWrite(generation: Generation, op: Operation, inMemory: Buffer | null | undefined, segments: readonly Segment[]): boolean | undefined {
  const live = op.value !== null;
  if (inMemory !== undefined) {
    const wasLive = inMemory !== null;
    generation.liveKeysDelta += Number(live) - Number(wasLive);
    return wasLive;
  }
  const hash = BloomFilter.hash(op.key);
  for (const segment of segments) {
    if (!segment.mayContain(hash)) continue;
    generation.unresolved.push({ key: op.key, live });
    return undefined;
  }
  generation.liveKeysDelta += Number(live); // a new key
  return false;
}

/**
 * Looks up the first `count` queued writes of `generation` in `segments`
 * and folds them into its delta; returns what they changed.
 */
export async function resolveQueued(generation: Generation, segments: readonly Segment[], count: number): Promise<number> {
  let delta = 0;
  let done = 0;
  try {
    // Writers only append meanwhile; the finally drops exactly the resolved ones, even after a failed lookup.
    for (; done < count; done++) {
      const write = generation.unresolved[done]!;
      const change = Number(write.live) - Number(await liveInSegments(segments, write.key));
      generation.liveKeysDelta += change;
      delta += change;
    }
  } finally {
    generation.unresolved.splice(0, done);
  }
  return delta;
}

/** Whether the newest entry of `key` in `segments` (oldest first) is a live value. */
export async function liveInSegments(segments: readonly Segment[], key: Buffer): Promise<boolean> {
  const hash = BloomFilter.hash(key);
  for (let i = segments.length - 1; i >= 0; i--) {
    if (!segments[i]!.mayContain(hash)) continue;
    const found = await segments[i]!.get(key);
    if (found !== undefined) return found !== null;
  }
  return false;
}
