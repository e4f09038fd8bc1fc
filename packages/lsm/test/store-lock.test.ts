/**
 * The store folder's lock: a second open (same process or another one) fails
 * with CONFLICT while the first holds it; a lock left by a killed process, a
 * reused pid or a copied folder is taken over; racing openers of a stale lock
 * end with exactly one winner.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupError } from '@backup/core';
import { afterEach, describe, expect, test } from 'vitest';
import { Store } from '../src/index.ts';
import { scratchDir } from './scratch.ts';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a lock holder; resolves with its first line (`opened` or `conflict <code>`). */
function startHolder(storePath: string): Promise<{ child: ChildProcessWithoutNullStreams; line: string }> {
  const child = spawn(process.execPath, ['--conditions=@backup/source', HOLDER, storePath]);
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve({ child, line: out.split('\n')[0]! });
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => reject(new Error(`holder exited (${code ?? signal}) before answering: ${err}`)));
  });
}

function killed(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A pid that ran and is gone (reaped). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(result.stdout);
}

async function folderId(path: string): Promise<string> {
  const { dev, ino } = await stat(path, { bigint: true });
  return `${dev}:${ino}`;
}

const isConflict = (error: unknown) => BackupError.is(error, 'CONFLICT');

// Most of these spawn Node processes (holders, a short-lived pid): generous limits for a loaded machine.
describe('store lock', { timeout: 60_000 }, () => {
  test('a second open in the same process fails until the first closes', async () => {
    const path = scratchDir('lock-same');
    const store = await Store.open({ path });
    await expect(Store.open({ path })).rejects.toSatisfy(isConflict);
    // Concurrent opens: exactly one wins.
    await store.close();
    const results = await Promise.allSettled([Store.open({ path }), Store.open({ path }), Store.open({ path })]);
    const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(opened).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toSatisfy(isConflict);
    await opened[0]!.close();
    await expect(readFile(join(path, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' }); // close released it
  });

  test('a live child process holds it; once the child is SIGKILLed the lock is taken over', { timeout: 120_000 }, async () => {
    const path = scratchDir('lock-child');
    const { child, line } = await startHolder(path);
    expect(line).toBe('opened');
    const lock = JSON.parse(await readFile(join(path, 'LOCK'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(child.pid);

    await expect(Store.open({ path })).rejects.toSatisfy(isConflict);
    const second = await startHolder(path);
    expect(second.line).toBe('conflict CONFLICT');

    await killed(child);
    const store = await Store.open({ path });
    // The killed holder's acknowledged write is there: the folder was never shared.
    expect(await store.getCollection('Held')!.get(`by-${child.pid}`)).toMatchObject({ properties: { pid: child.pid } });
    await store.close();
  });

  test('a lock of a dead pid, a reused pid or another folder is stale', async () => {
    const path = scratchDir('lock-stale');
    await (await Store.open({ path })).close();
    const folder = await folderId(path);
    const stale = [
      { pid: deadPid(), start: '1', folder, nonce: 'dead' },
      // This pid is alive, but it is not the process that wrote the lock (it started at another time).
      { pid: process.pid, start: '1', folder, nonce: 'reused' },
      // A crash image copied from another folder: the lock was about that folder.
      { pid: process.pid, folder: '1:1', nonce: 'copied' },
      { garbage: true },
    ];
    for (const content of stale) {
      await writeFile(join(path, 'LOCK'), JSON.stringify(content));
      const store = await Store.open({ path });
      await store.close();
    }
  });

  test("the winner removes a dead process's leftovers but not a live one's half-written temporary file", async () => {
    const path = scratchDir('lock-leftovers');
    await (await Store.open({ path })).close();
    const dead = deadPid();
    // A racing opener creates its temporary file empty and fills it after: judging it by its
    // content would delete it under the live writer (its link() then failed with ENOENT).
    const live = [`LOCK.${process.pid}.a.tmp`, `LOCK.takeover-1f.${process.pid}.b.tmp`];
    const gone = [`LOCK.${dead}.c.tmp`, `LOCK.takeover-2e.${dead}.d.tmp`, 'LOCK.takeover-3d'];
    for (const name of [...live, ...gone]) await writeFile(join(path, name), '');
    const store = await Store.open({ path });
    await store.close();
    const left = (await readdir(path)).filter((name) => name.startsWith('LOCK.'));
    expect(left.sort()).toEqual([...live].sort());
  });

  test('processes racing for a stale lock: exactly one wins', { timeout: 180_000 }, async () => {
    const path = scratchDir('lock-race');
    await (await Store.open({ path })).close();
    for (let round = 0; round < 3; round++) {
      // With a start time, as real locks have: should the dead pid be reused meanwhile (pids wrap at
      // 32768 on busy test machines), the lock still reads as stale instead of held by that process.
      const stale = { pid: deadPid(), start: '1', folder: await folderId(path), nonce: `round-${round}` };
      await writeFile(join(path, 'LOCK'), JSON.stringify(stale));
      const answers = await Promise.all(Array.from({ length: 4 }, () => startHolder(path)));
      expect(answers.map((a) => a.line).sort(), `round ${round}`).toEqual(['conflict CONFLICT', 'conflict CONFLICT', 'conflict CONFLICT', 'opened']);
      await Promise.all(answers.map((a) => killed(a.child)));
    }
  });
});
