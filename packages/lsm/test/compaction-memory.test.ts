/**
 * Compaction streams: merging N MiB of segments holds one block per input
 * segment plus the output's index and bloom filter, so memory does not grow
 * with the data merged. (It once did, by twice the data: each block's last
 * key, kept for the index, pinned a 64 KiB slab of Node 24's buffer pool
 * holding other blocks.) Measured in a child process, whose RSS is the
 * store's alone.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

const CHILD = fileURLToPath(new URL('./fixtures/compaction-memory.ts', import.meta.url));
const MIB = 1024 * 1024;
const DATA_MIB = 192;
/** Measured: ~30 MiB of growth for 192 MiB merged (it was ~380 MiB before the fix). */
const GROWTH_BOUND = 64 * MIB;

async function child(storePath: string, mode: 'fill' | 'compact'): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@backup/source', CHILD, storePath, mode, String(DATA_MIB)]);
  return stdout;
}

async function segments(storePath: string): Promise<number> {
  const bucket = join(storePath, 'collections', 'Big', 'shard-0', 'objects');
  return (await readdir(bucket)).filter((name) => name.endsWith('.seg')).length;
}

describe('compaction memory', () => {
  test(`merging ${DATA_MIB} MiB of segments grows RSS by less than ${GROWTH_BOUND / MIB} MiB`, { timeout: 120_000 }, async () => {
    const path = scratchDir('compaction-memory');
    await child(path, 'fill');
    expect(await segments(path)).toBeGreaterThan(20);

    const { rssBefore, peakRss } = JSON.parse(await child(path, 'compact')) as { rssBefore: number; peakRss: number };
    expect(await segments(path)).toBe(1);
    expect(peakRss - rssBefore).toBeLessThan(GROWTH_BOUND);

    const store = await Store.open({ path });
    expect(await store.getCollection('Big')!.count()).toBe(Math.ceil((DATA_MIB * MIB) / (8 * 1024)));
    await store.close();
  });
});
