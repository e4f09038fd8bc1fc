/**
 * A real `backup-server` process for the client matrix, started from its
 * TypeScript sources on loopback with the filesystem backend, its store and
 * backups on tmpfs where there is one. Each client gets its own server, so the
 * seed's class names and backup id can be used as they are, in parallel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '@backup/test-emulators/free-ports';

const BIN = fileURLToPath(new URL('../../packages/server/bin/backup-server.cjs', import.meta.url));

export interface MatrixServer {
  readonly port: number;
  readonly grpcPort: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** BACKUP_FILESYSTEM_PATH. */
  readonly backups: string;
  /** Calls the REST API under `/v1`; parses a JSON answer. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  output(): string;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a server and waits until it serves REST (and, with `needsGrpc`, accepts on its gRPC port). */
export async function startServer(name: string, needsGrpc: boolean): Promise<MatrixServer> {
  const root = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), `clients-${name}-`));
  const [port, grpcPort] = (await freePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${port}`;
  const backups = join(root, 'backups');
  let log = '';
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@backup/source', BIN, '--host', '127.0.0.1', '--port', String(port)], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ENABLE_MODULES: 'backup-filesystem',
      BACKUP_FILESYSTEM_PATH: backups,
      PERSISTENCE_DATA_PATH: join(root, 'data'),
      GRPC_PORT: String(grpcPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (!/listening on[\s\S]*backup providers: .*\n/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not start:\n${log}`);
    }
    await sleep(25);
  }
  if (needsGrpc) {
    const grpcDeadline = Date.now() + 30_000;
    while (!(await accepts(grpcPort))) {
      if (Date.now() > grpcDeadline) {
        await stop();
        throw new Error(`the server serves REST on ${port} but nothing accepts on its gRPC port ${grpcPort} (GRPC_PORT), which this client needs:\n${log}`);
      }
      await sleep(50);
    }
  }
  return {
    port,
    grpcPort,
    url,
    backups,
    output: () => log,
    stop,
    async call(method, path, body) {
      const response = await fetch(`${url}/v1${path}`, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}
