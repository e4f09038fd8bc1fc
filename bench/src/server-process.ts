/**
 * The real server (`@backup/server`'s bin) as a child process, as users run
 * it: its own process, so its memory can be measured apart from the harness,
 * and every backup goes through the same HTTP API a client uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { once } from 'node:events';
import { recommendedThreadPoolSize, threadPoolSize } from '@backup/core';
import { BUNDLED_SERVER_PATH } from './bundle/layout.ts';

export interface ServerProcessOptions {
  /** The store folder (`PERSISTENCE_DATA_PATH`). */
  readonly dataPath: string;
  /** Root of the filesystem provider (`BACKUP_FILESYSTEM_PATH`). */
  readonly backupPath: string;
  /** Receives the server's stderr lines (errors, notices). */
  readonly log?: (line: string) => void;
  /** Extra Node flags, e.g. `--cpu-prof` to see where a backup spends its time. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment variables for the server (e.g. a provider's settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** TCP port; default any free one (a cluster's nodes must know each other's ports before they start). */
  readonly port?: number;
}

export interface ServerProcess {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM (graceful), then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const START_TIMEOUT_MS = 60_000;

/**
 * The server's bin (`bin/backup-server.cjs`, as `npx backup-server` runs it),
 * on its TypeScript sources (Node strips the types); in a bench bundle
 * (`BACKUP_BENCH_BUNDLE`, see bundle/use-bundle.ts), the bundle's server.
 */
export function serverCommand(): { script: string; nodeArgs: string[] } {
  const bundle = process.env.BACKUP_BENCH_BUNDLE;
  if (bundle !== undefined && bundle !== '') return { script: path.join(bundle, BUNDLED_SERVER_PATH), nodeArgs: [] };
  return {
    script: path.join(path.dirname(require.resolve('@backup/server/package.json')), 'bin', 'backup-server.cjs'),
    nodeArgs: ['--conditions=@backup/source'],
  };
}

/** libuv threads each server runs with: the bench's own UV_THREADPOOL_SIZE, else what the bin chooses. */
export function serverThreadPoolSize(): number {
  return threadPoolSize({ UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(recommendedThreadPoolSize()) });
}

/** Starts a server on a free port of 127.0.0.1 with only the filesystem provider enabled. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const server = serverCommand();
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...server.nodeArgs, server.script, '--port', String(options.port ?? 0), '--host', '127.0.0.1'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        // The bundle's Node may need the libraries it brought (bundle/native-binaries.ts).
        ...(process.env.LD_LIBRARY_PATH === undefined ? {} : { LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH }),
        PERSISTENCE_DATA_PATH: options.dataPath,
        ENABLE_MODULES: 'backup-filesystem',
        BACKUP_FILESYSTEM_PATH: options.backupPath,
        CLUSTER_HOSTNAME: 'node1',
        // Several servers at once: each takes a free gRPC port instead of 50051.
        GRPC_PORT: '0',
        // The bin sizes libuv's pool (the codecs' threads) to the cores unless this is set; the bundle's
        // server is an ES module entry, which cannot on Node 22, so the bench sets it for both alike.
        UV_THREADPOOL_SIZE: String(serverThreadPoolSize()),
        // In-thread or worker-thread chunk work, as the bench was asked (packages/server/README.md).
        ...(process.env.BACKUP_WORKER_THREADS ? { BACKUP_WORKER_THREADS: process.env.BACKUP_WORKER_THREADS } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim() !== '') options.log?.(line);
  });
  try {
    const url = await listeningUrl(child, () => stderr);
    return { url, pid: child.pid!, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Resolves with the URL the server prints once it listens. */
function listeningUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`the server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const onData = (text: string): void => {
      stdout += text;
      const match = /listening on (http:\/\/\S+?) /.exec(stdout);
      if (match) done(() => resolve(match[1]!));
    };
    const onExit = (code: number | null): void => fail(new Error(`the server exited (${code}) before listening: ${stderr().trim()}`));
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.stdout!.resume(); // keep draining so the child never blocks on a full pipe
      settle();
    };
    const fail = (error: Error): void => done(() => reject(error));
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
