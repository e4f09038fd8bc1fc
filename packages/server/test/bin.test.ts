import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { call, scratch } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/backup-server.cjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the bin directly, or through `via` (e.g. `npm start --` at the repository root). */
function run(args: string[], env: NodeJS.ProcessEnv, via?: { command: string[]; cwd: string }): Spawned {
  // Only ever on the loopback interface.
  const host = args.includes('--help') || args.includes('--nope') ? [] : ['--host', '127.0.0.1'];
  const [command, ...prefix] = via?.command ?? [process.execPath, '--conditions=@backup/source', BIN];
  const child = spawn(command!, [...prefix, ...host, ...args], {
    cwd: via?.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the bin's start-up lines (the providers line is the last); fails with its output if it exits first. */
async function listening(spawned: Spawned, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/\S+)/.exec(spawned.stdout());
    if (match && /backup providers: .*\n/.test(spawned.stdout())) return match[1]!;
    if (spawned.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`backup-server did not start:\n${spawned.stdout()}\n${spawned.stderr()}`);
}

/** Threads of `pid` that are libuv's pool (Node names them so from version 23). */
function poolThreads(pid: number): number {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.filter((task) => readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim() === 'libuv-worker').length;
}

function workspace(): { root: string; env: NodeJS.ProcessEnv } {
  const root = scratch('bin');
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return {
    root,
    env: {
      PORT: '0',
      PERSISTENCE_DATA_PATH: join(root, 'data'),
      ENABLE_MODULES: 'backup-filesystem',
      BACKUP_FILESYSTEM_PATH: join(root, 'backups'),
    },
  };
}

// Each test spawns Node processes (`npm start` a few): generous time on a shared, busy machine.
describe('the backup-server bin', { timeout: 180_000 }, () => {
  test('starts, says where it listens and which providers are on, serves, and exits 0 on SIGTERM', async () => {
    const { env } = workspace();
    const server = run([], env);
    const url = await listening(server);
    expect(server.stdout()).toMatch(/backup providers: filesystem/);
    expect((await call(url, 'GET', '/.well-known/ready')).status).toBe(200);
    expect((await call(url, 'POST', '/schema', { class: 'Bin' })).status).toBe(200);

    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.stdout()).toMatch(/stopped/);
  });

  test('`npm start` at the repository root: a SIGTERM to npm reaches the server, which stops cleanly', async () => {
    const { env } = workspace();
    const server = run([], env, { command: ['npm', 'start', '--'], cwd: REPO_ROOT });
    const url = await listening(server);
    expect((await call(url, 'GET', '/.well-known/ready')).status).toBe(200);

    server.child.kill('SIGTERM'); // what a process manager or `docker stop` sends: to npm, not to its children
    await server.exited;
    expect(server.stdout()).toMatch(/SIGTERM received[\s\S]*stopped/);
    await expect(fetch(`${url}/v1/.well-known/live`)).rejects.toThrow();
  });

  test('SIGINT stops it cleanly too, and the data is there at the next start', async () => {
    const { env } = workspace();
    const first = run([], env);
    const url = await listening(first);
    await call(url, 'POST', '/schema', { class: 'Kept' });
    await call(url, 'POST', '/objects', { class: 'Kept', id: '00000000-0000-4000-8000-000000000001', properties: { a: 'b' } });
    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(0);

    const second = run([], env);
    const again = await listening(second);
    const read = await call(again, 'GET', '/objects/Kept/00000000-0000-4000-8000-000000000001');
    expect(read.body.properties).toEqual({ a: 'b' });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  test('SIGTERM during a backup ends it cleanly (exit 0), and the next start shows it ended, never still running', async () => {
    const { env } = workspace();
    const first = run([], env);
    const url = await listening(first);
    await call(url, 'POST', '/schema', { class: 'Busy', shardingConfig: { desiredCount: 4 } });
    const text = 'lorem ipsum dolor sit amet '.repeat(80);
    for (let round = 0; round < 8; round++) {
      const objects = Array.from({ length: 500 }, (_, i) => ({ class: 'Busy', properties: { text: `${round}-${i} ${text}` } }));
      expect((await call(url, 'POST', '/batch/objects', { objects })).status).toBe(200);
    }
    const started = await call(url, 'POST', '/backups/filesystem', {
      id: 'interrupted',
      config: { CompressionLevel: 'BestCompression', CPUPercentage: 1, ChunkSize: 2 },
    });
    expect(started.status).toBe(200);
    first.child.kill('SIGTERM');
    const stoppedAt = Date.now();
    expect((await first.exited).code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);

    const second = run([], env);
    const again = await listening(second);
    const status = await call(again, 'GET', '/backups/filesystem/interrupted');
    expect(status.status).toBe(200);
    expect(['SUCCESS', 'FAILED', 'CANCELED']).toContain(status.body.status);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  test('--port wins over PORT', async () => {
    const { env } = workspace();
    const server = run(['--port', '0'], { ...env, PORT: '1' });
    const url = await listening(server);
    expect(url).not.toMatch(/:1$/);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  test("sizes libuv's thread pool to the cores before anything uses it, unless UV_THREADPOOL_SIZE is set", async () => {
    // Every pipeline compresses on that pool; libuv's default 4 threads would cap a backup at 4 cores.
    for (const [extra, threads] of [
      [{}, availableParallelism() + 4],
      [{ UV_THREADPOOL_SIZE: '3' }, 3],
    ] as const) {
      const { env } = workspace();
      const server = run([], { ...env, ...extra });
      const url = await listening(server);
      expect(server.stdout()).toContain(`${threads} threads for compression and file I/O`);
      // libuv starts all of the pool's threads at its first use; a backup is one.
      await call(url, 'POST', '/schema', { class: 'Pool' });
      expect((await call(url, 'POST', '/backups/filesystem', { id: 'pool' })).status).toBe(200);
      await expect.poll(() => poolThreads(server.child.pid!), { timeout: 10_000 }).toBe(threads);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
  });

  test('a missing BACKUP_FILESYSTEM_PATH stops start-up with a message naming it, without a stack trace', async () => {
    const { env } = workspace();
    delete env.BACKUP_FILESYSTEM_PATH;
    const server = run([], env);
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(server.stderr()).toMatch(/BACKUP_FILESYSTEM_PATH/);
    expect(server.stderr()).not.toMatch(/\n\s+at /);
  });

  test('a missing BACKUP_S3_BUCKET is named the same way', async () => {
    const { env } = workspace();
    const server = run([], { ...env, ENABLE_MODULES: 'backup-s3' });
    expect((await server.exited).code).not.toBe(0);
    expect(server.stderr()).toMatch(/BACKUP_S3_BUCKET/);
  });

  test('--help prints the usage and exits 0; an unknown option exits 2', async () => {
    const help = run(['--help'], {});
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toMatch(/Usage: backup-server/);
    expect(help.stdout()).toMatch(/PERSISTENCE_DATA_PATH/);

    const bad = run(['--nope'], {});
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/--nope/);
  });

  test('AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=false without API keys refuses to start, naming the variable', async () => {
    const { root, env } = workspace();
    const server = run([], { ...env, AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED: 'false' });
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toMatch(/AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED/);
    expect(server.stderr()).not.toMatch(/\n\s+at /);
    expect(server.stdout()).not.toMatch(/listening on/);
    expect(existsSync(join(root, 'data'))).toBe(false);
  });

  test('a bad PORT is refused naming it', async () => {
    const { env } = workspace();
    const server = run([], { ...env, PORT: 'eighty' });
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toMatch(/PORT/);
  });
});
