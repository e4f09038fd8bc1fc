// What the CLI tests need around the bin: a real backup to copy, scratch
// folders, and a way to run the bin as a user would.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BackupEngine, isFinalStatus } from '@backup/core';
import { Store } from '@backup/lsm';
import { FilesystemProvider } from '@backup/provider-filesystem';

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

export function scratch(stem: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `backup-cli-${stem}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Backs up a small reference store (two collections, vectors) as `id` into the filesystem root `root`. */
export async function makeBackup(dir: string, root: string, id: string): Promise<void> {
  const store = await Store.open({ path: join(dir, 'store'), syncWrites: false });
  const provider = new FilesystemProvider({ path: root });
  const engine = new BackupEngine({ source: store, providers: [provider], stateDir: join(dir, 'state'), cpuCount: 2 });
  try {
    await engine.start();
    for (const name of ['Article', 'Author']) {
      const collection = await store.createCollection({ class: name, shardingConfig: { desiredCount: 2 } });
      for (let start = 0; start < 400; start += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, offset) =>
            collection.put(`${name}-${start + offset}`, { properties: { text: `${name} ${start + offset} `.repeat(40) }, vector: [start + offset, 1, 2, 3] }),
          ),
        );
      }
    }
    await engine.createBackup({ backend: 'filesystem', id, config: { chunkSizeMb: 2 } });
    for (;;) {
      const report = await engine.backupStatus('filesystem', id);
      if (isFinalStatus(report.status)) {
        if (report.status !== 'SUCCESS') throw new Error(`backup ${id} ended ${report.status}: ${report.error}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await engine.close();
    await store.close();
    await provider.close();
  }
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `backup <args>` as a child process with only `env` (and PATH), and waits for it to exit. */
export async function runBin(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=@backup/source', BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return await collect(child);
}

/** Waits for a child started with piped stdout and stderr to exit, and returns its code and output. */
export async function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit)));
  return { code, stdout, stderr };
}
