/**
 * The snapshot hooks of one shard: pause compaction, swap the memtable (the
 * flush point), wait for the flush, hard-link the live segments and the
 * manifest naming exactly them into a staging folder, resume.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ioError } from './errors.ts';
import { type ManifestState, MANIFEST_FILE, encodeManifest } from './manifest.ts';
import type { Segment } from './segment.ts';

/** A file of a frozen shard, relative to the shard folder. */
export interface ShardFile {
  readonly path: string;
  readonly size: number;
}

/** A snapshot in progress on one shard; see {@link Shard.beginFreeze}. */
export interface ShardFreeze {
  /** Synchronous memtable swap: the flush point. */
  cut(): void;
  /** Waits for the flush, hard-links the live files into `stageDir`, lists them. */
  finish(stageDir: string): Promise<ShardFile[]>;
  /** Lets compaction run again. Idempotent. */
  resume(): void;
}

export interface FrozenShard {
  readonly files: ShardFile[];
  /** How long writers waited for the memtable swap, in milliseconds. */
  readonly writerStallMs: number;
}

/** The live segments of every bucket at one instant. */
export interface LiveSet {
  readonly state: ManifestState;
  readonly segments: ReadonlyMap<string, readonly Segment[]>;
}

/** What a freeze needs of its shard. */
export interface FreezeHost {
  readonly dir: string;
  pauseCompaction(graceMs: number): Promise<() => void>;
  /** Synchronously retires the active memtable; settles with the live set holding every write so far. */
  cut(): Promise<LiveSet>;
}

/** How long a snapshot lets a running compaction finish before stopping it. */
const SNAPSHOT_COMPACTION_GRACE_MS = 250;

/** Snapshot step 1 on `host` (see `Shard.beginFreeze`). */
export async function beginShardFreeze(host: FreezeHost): Promise<ShardFreeze> {
  const resume = await host.pauseCompaction(SNAPSHOT_COMPACTION_GRACE_MS);
  let live: Promise<LiveSet> | undefined;
  return {
    cut: () => {
      live = host.cut();
      live.catch(() => undefined);
    },
    finish: async (stageDir) => {
      if (live === undefined) throw new Error('cut() must come before finish()');
      try {
        return await linkLiveSet(await live, stageDir);
      } catch (error) {
        throw ioError(error, `snapshot shard ${host.dir}`);
      }
    },
    resume,
  };
}

/** Hard-links every live segment into `stageDir` and writes the manifest that names exactly them. */
async function linkLiveSet(live: LiveSet, stageDir: string): Promise<ShardFile[]> {
  const files: ShardFile[] = [];
  await fsp.mkdir(stageDir, { recursive: true });
  for (const [bucket, segments] of live.segments) {
    if (segments.length === 0) continue;
    await fsp.mkdir(path.join(stageDir, bucket), { recursive: true });
    for (const segment of segments) {
      const relative = `${bucket}/${segment.name}`;
      await fsp.link(segment.path, path.join(stageDir, relative));
      files.push({ path: relative, size: segment.size });
    }
  }
  // The live manifest may have moved on (later flushes); stage the one matching these segments.
  const manifest = encodeManifest(live.state);
  await fsp.writeFile(path.join(stageDir, MANIFEST_FILE), manifest);
  files.push({ path: MANIFEST_FILE, size: Buffer.byteLength(manifest) });
  return files;
}
