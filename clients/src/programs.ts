/**
 * The client programs of the matrix (one folder per client) and how to run a
 * step of one: the command line comes from clients/.build/manifest.json, written
 * by scripts/clients/install.sh, for the Python, Go and Java clients; the
 * TypeScript ones run from the workspace's node_modules.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MatrixServer } from './server-process.ts';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const MANIFEST = `${HERE}.build/manifest.json`;

export interface Client {
  readonly name: string;
  /** Needs gRPC at connect (Python v4, TS v3). */
  readonly grpc: boolean;
  /** Has a cancel call (the seed shows one for Python v4 and TS v3; Go and Java have one too). */
  readonly cancel: boolean;
  /** Classes the seed's restore brings back (the seed excludes Article except for TS v3). */
  readonly restored: readonly string[];
  /** The seed's create and restore wait for completion (TS v3's do not). */
  readonly waits: boolean;
  /** The environment that points the program at `server`. */
  env(server: MatrixServer): NodeJS.ProcessEnv;
}

const local = (server: MatrixServer) => ({ WEAVIATE_HOST: '127.0.0.1', WEAVIATE_PORT: String(server.port), WEAVIATE_GRPC_PORT: String(server.grpcPort) });
const hostPort = (server: MatrixServer) => ({ WEAVIATE_HOST: `127.0.0.1:${server.port}` });

export const CLIENTS: readonly Client[] = [
  { name: 'python-v4', grpc: true, cancel: true, restored: ['Publication'], waits: true, env: local },
  { name: 'python-v3', grpc: false, cancel: false, restored: ['Publication'], waits: true, env: (s) => ({ WEAVIATE_URL: s.url }) },
  { name: 'ts-v3', grpc: true, cancel: true, restored: ['Article', 'Publication'], waits: false, env: local },
  { name: 'ts-v2', grpc: false, cancel: false, restored: ['Publication'], waits: true, env: hostPort },
  { name: 'go', grpc: false, cancel: true, restored: ['Publication'], waits: true, env: hostPort },
  { name: 'java', grpc: false, cancel: true, restored: ['Publication'], waits: true, env: hostPort },
];

/** The command line of a client's program (without the step). */
export function commandOf(name: string): string[] {
  if (name === 'ts-v3' || name === 'ts-v2') return [process.execPath, `${HERE}${name}/backup.ts`];
  if (!existsSync(MANIFEST)) {
    throw new Error(`${MANIFEST} is missing: run bash scripts/clients/install.sh (npm test runs it)`);
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string[]>;
  const command = manifest[name];
  if (!command) throw new Error(`${MANIFEST} names no program for ${name}: run bash scripts/clients/install.sh`);
  return command;
}

/** Another program in a client's folder, run by the interpreter of its backup program (the Python venvs). */
export function startScript(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  const [interpreter] = commandOf(name);
  return spawn(interpreter!, [`${HERE}${name}/${script}`, ...args], { cwd: HERE, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

export function startStep(client: Client, server: MatrixServer, step: string, backupId: string): ChildProcessWithoutNullStreams {
  const [command, ...args] = commandOf(client.name);
  return spawn(command!, [...args, step], {
    cwd: HERE,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BACKUP_ID: backupId, BACKUP_BACKEND: 'filesystem', ...client.env(server) },
  });
}

/** The JSON lines a program printed, once it exits; throws (with its output) unless it exits 0. */
export function finished(child: ChildProcessWithoutNullStreams, what: string, timeoutMs = 120_000): Promise<any[]> {
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what} exited ${code ?? signal}:\n${out}\n${err}`));
      try {
        resolve(
          out
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line)),
        );
      } catch (error) {
        reject(new Error(`${what} printed no JSON: ${String(error)}\n${out}\n${err}`));
      }
    });
  });
}

/** Runs one step to the end; returns its `result`. */
export async function runStep(client: Client, server: MatrixServer, step: string, backupId: string): Promise<any> {
  const lines = await finished(startStep(client, server, step, backupId), `${client.name} ${step}`);
  const last = lines.at(-1);
  if (!last || !('result' in last)) throw new Error(`${client.name} ${step} printed no result: ${JSON.stringify(lines)}`);
  return last.result;
}

/** The fields every client reports, under each client's own names (Python v4: backup_id, collections). */
export function normalized(result: any): { id: string; status: string; classes?: string[] } {
  const classes = result.classes ?? result.collections;
  return { id: result.id ?? result.backup_id ?? result.backupId, status: result.status, ...(classes ? { classes: [...classes].sort() } : {}) };
}
