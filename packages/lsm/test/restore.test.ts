/**
 * Restore: `commit` installs a whole collection in one step; anything short
 * of a completed commit (no commit, an abort, a SIGKILL at any moment)
 * leaves no trace of it after the next open.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupError } from '@backup/core';
import { describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

const COMMITTER = fileURLToPath(new URL('./fixtures/restore-committer.ts', import.meta.url));
const OBJECTS = 3000;

/** A store with one 3-shard collection, snapshotted into `<dir>/files` + `<dir>/metadata.json` (a "downloaded backup"). */
async function makeBackup(name: string): Promise<string> {
  const store = await Store.open({ path: scratchDir('restore-src'), memtableBytes: 64 * 1024 });
  const collection = await store.createCollection({
    class: name,
    properties: [{ name: 'n', dataType: ['int'] }],
    shardingConfig: { desiredCount: 3 },
  });
  for (let i = 0; i < OBJECTS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => collection.put(`obj-${i + j}`, { properties: { n: i + j }, vector: [i + j] })));
  }
  const snapshot = await store.snapshot(name);
  const backup = scratchDir('restore-backup');
  for (const file of snapshot.files) {
    const to = join(backup, 'files', file.path);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(snapshot.root, file.path), to);
  }
  await writeFile(join(backup, 'metadata.json'), JSON.stringify(snapshot.metadata));
  await snapshot.release();
  await store.close();
  return backup;
}

async function stage(store: Store, backup: string, name: string) {
  const target = await store.prepareRestore(name);
  for (const entry of await readdir(join(backup, 'files'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(target.directory, from.slice(join(backup, 'files').length + 1));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  return target;
}

async function metadataOf(backup: string): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(join(backup, 'metadata.json'), 'utf8'));
}

/** How long one committer process may take, killed or not, before its trial fails (a loaded machine is slow, not stuck). */
const TRIAL_DEADLINE_MS = 60_000;
const KILL_TRIALS = 12;

/**
 * Runs the committer; kills it `killAfterMs` after it reports `staged` (never, when undefined).
 * Rejects, after killing it, if the process has not exited within {@link TRIAL_DEADLINE_MS}.
 */
function runCommitter(storePath: string, backup: string, name: string, killAfterMs?: number): Promise<{ committed: boolean; commitMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@backup/source', COMMITTER, storePath, backup, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stagedAt = 0;
    let commitMs = 0;
    let overdue = false;
    const deadline = setTimeout(() => {
      overdue = true;
      child.kill('SIGKILL');
    }, TRIAL_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (stagedAt === 0 && out.includes('staged\n')) {
        stagedAt = performance.now();
        if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
      if (commitMs === 0 && out.includes('committed\n')) commitMs = performance.now() - stagedAt;
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (overdue) reject(new Error(`committer did not exit within ${TRIAL_DEADLINE_MS} ms (output so far: ${JSON.stringify(out)}):\n${err}`));
      else if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`committer failed (${code ?? signal}):\n${err}`));
      else resolve({ committed: out.includes('committed\n'), commitMs });
    });
  });
}

describe('restore', () => {
  test('commit installs the whole collection at once', { timeout: 120_000 }, async () => {
    const backup = await makeBackup('Books');
    const store = await Store.open({ path: scratchDir('restore-dst'), nodeName: 'node7' });
    const target = await stage(store, backup, 'Books');
    expect(target.directory.startsWith(store.path)).toBe(true);
    expect(await store.collectionExists('Books')).toBe(false);
    expect(store.getCollection('Books')).toBeUndefined();
    await target.commit(await metadataOf(backup));
    expect(await store.collectionExists('Books')).toBe(true);
    const books = store.getCollection('Books')!;
    expect(books.schema.properties).toEqual([{ name: 'n', dataType: ['int'] }]);
    expect(await books.count()).toBe(OBJECTS);
    expect(await books.get('obj-1234')).toMatchObject({ properties: { n: 1234 }, vector: [1234] });
    expect((await store.listCollections()).map((c) => [c.name, c.shards.map((s) => `${s.name}@${s.node}`)])).toEqual([
      ['Books', ['shard-0@node7', 'shard-1@node7', 'shard-2@node7']],
    ]);
    await books.put('new', { properties: { n: -1 } }); // live and writable
    await target.abort(); // a no-op after commit
    await store.close();
    const reopened = await Store.open({ path: store.path });
    expect(await reopened.getCollection('Books')!.count()).toBe(OBJECTS + 1);
    expect(await readdir(join(store.path, 'restoring'))).toEqual([]);
    await reopened.close();
  });

  test('leaves nothing behind without a commit, on abort, or when the collection appeared meanwhile', { timeout: 120_000 }, async () => {
    const backup = await makeBackup('Books');
    const path = scratchDir('restore-none');
    let store = await Store.open({ path });

    await stage(store, backup, 'Books'); // never committed: the process "dies"
    await store.close();
    store = await Store.open({ path });
    expect(await store.collectionExists('Books')).toBe(false);
    expect(await readdir(join(path, 'restoring'))).toEqual([]);
    expect(store.recovery.leftoversRemoved).toBeGreaterThan(0);

    const aborted = await stage(store, backup, 'Books');
    await aborted.abort();
    await aborted.abort();
    expect(await readdir(join(path, 'restoring'))).toEqual([]);
    await expect(aborted.commit(await metadataOf(backup))).rejects.toSatisfy((e) => BackupError.is(e));

    const raced = await stage(store, backup, 'Books');
    await store.createCollection({ class: 'Books' });
    await expect(raced.commit(await metadataOf(backup))).rejects.toSatisfy((e) => BackupError.is(e, 'ALREADY_EXISTS'));
    await expect(store.prepareRestore('Books')).rejects.toSatisfy((e) => BackupError.is(e, 'ALREADY_EXISTS'));
    expect(await store.getCollection('Books')!.count()).toBe(0);
    await raced.abort();

    const bad = await stage(store, backup, 'Other');
    await expect(bad.commit({ formatVersion: 1, schema: { class: 'Other' }, shards: ['x'], tenants: [] })).rejects.toSatisfy((e) =>
      BackupError.is(e, 'INVALID_ARGUMENT'),
    );
    expect(await store.collectionExists('Other')).toBe(false);
    await bad.abort();
    await store.close();
  });

  // A fixed number of trials, each bounded by its own deadline: the test's time limit only
  // covers that many deadlines, so a loaded machine slows it down but cannot cut it short.
  test(`a SIGKILL at any point of commit leaves the whole collection or nothing (${KILL_TRIALS} trials)`, {
    timeout: 120_000 + (KILL_TRIALS + 1) * TRIAL_DEADLINE_MS,
  }, async () => {
    const backup = await makeBackup('Books');
    const clean = await runCommitter(scratchDir('restore-kill'), backup, 'Books');
    expect(clean.committed).toBe(true);
    const outcomes = { absent: 0, complete: 0 };
    // Kill times evenly spread over [0, 1.5 × a clean commit]: early kills land before the
    // switch, late ones after it, the ones in between anywhere inside it.
    for (let trial = 0; trial < KILL_TRIALS; trial++) {
      const path = scratchDir('restore-kill');
      await runCommitter(path, backup, 'Books', Math.floor((trial / (KILL_TRIALS - 1)) * clean.commitMs * 1.5));
      const store = await Store.open({ path });
      if (await store.collectionExists('Books')) {
        expect(await store.getCollection('Books')!.count(), `trial ${trial}`).toBe(OBJECTS);
        outcomes.complete++;
      } else {
        expect(await readdir(join(path, 'collections')), `trial ${trial}`).toEqual([]);
        outcomes.absent++;
      }
      expect(await readdir(join(path, 'restoring'))).toEqual([]);
      await store.close();
    }
    console.info(`restore kill test: commit takes ${clean.commitMs.toFixed(1)} ms; outcomes ${JSON.stringify(outcomes)}`);
  });
});
