/**
 * Real clusters for the tests: every node is a `backup-server` process on
 * loopback, started from its TypeScript sources, joined to the others through
 * `CLUSTER_JOIN`. Ports are chosen before start, since every node must know
 * where the others are.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '@backup/test-emulators/free-ports';

const BIN = fileURLToPath(new URL('../../packages/server/src/bin.ts', import.meta.url));
export const CLUSTER_SECRET = 'e2e-cluster-secret';

export interface Answer {
  readonly status: number;
  /** Parsed JSON of many shapes; tests read what they need. */
  readonly body: any;
}

export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dataPath: string;
  child: ChildProcess;
  /** Everything the process wrote so far (for failure messages). */
  output(): string;
  /** Calls the public API under `/v1`. */
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Calls this node's local-only API (what its own store holds), as another node would. */
  local(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Starts the process again on the same port and data (after a kill). */
  restart(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly names: readonly string[];
  /** Data folders go to `<root>/<name>`. */
  readonly root: string;
  /** Provider settings and anything else, for every node. */
  readonly env: NodeJS.ProcessEnv;
  /** Settings of one node on top of `env` (e.g. its own way to the storage). */
  readonly envOf?: (name: string) => NodeJS.ProcessEnv;
  /** `BACKUP_PARTICIPANT_TIMEOUT_MS` of every node. */
  readonly participantTimeoutMs?: number;
  /** The URL the other nodes use for `name` (e.g. a proxy in front of it); default its own. */
  readonly joinUrl?: (name: string, url: string) => string;
  /** Ports to use, by name (to bring up a node where a previous one was). */
  readonly ports?: Readonly<Record<string, number>>;
}

export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/** Starts every node and waits until each listens. */
export async function startCluster(options: ClusterOptions): Promise<ClusterNode[]> {
  const free = await freePorts(options.names.length);
  const ports = new Map(options.names.map((name, i) => [name, options.ports?.[name] ?? free[i]!]));
  const urls = new Map([...ports].map(([name, port]) => [name, `http://127.0.0.1:${port}`]));
  const join_ = [...urls].map(([name, url]) => `${name}=${options.joinUrl?.(name, url) ?? url}`).join(',');
  const nodes = options.names.map((name) => makeNode(name, ports.get(name)!, urls.get(name)!, options, join_));
  await Promise.all(nodes.map((node) => node.restart()));
  return nodes;
}

function makeNode(name: string, port: number, url: string, options: ClusterOptions, joinList: string): ClusterNode {
  const dataPath = join(options.root, name);
  let log = '';
  const node: ClusterNode = {
    name,
    port,
    url,
    dataPath,
    child: undefined as unknown as ChildProcess,
    output: () => log,
    call: (method, path, body) => call(url, method, `/v1${path}`, body),
    local: (method, path, body) => call(url, method, `/internal/cluster/v1${path}`, body, { authorization: `Bearer ${CLUSTER_SECRET}` }),
    async restart() {
      const start = log.length;
      const child = spawn(process.execPath, ['--conditions=@backup/source', BIN, '--host', '127.0.0.1', '--port', String(port)], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          // Several nodes on one machine: each takes a free gRPC port instead of 50051.
          GRPC_PORT: '0',
          ...options.env,
          ...options.envOf?.(name),
          PERSISTENCE_DATA_PATH: dataPath,
          CLUSTER_HOSTNAME: name,
          CLUSTER_JOIN: joinList,
          CLUSTER_SECRET,
          ...(options.participantTimeoutMs !== undefined ? { BACKUP_PARTICIPANT_TIMEOUT_MS: String(options.participantTimeoutMs) } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      node.child = child;
      child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const from = start;
      const deadline = Date.now() + 90_000;
      while (!/listening on[\s\S]*backup providers: .*\n/.test(log.slice(from))) {
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          throw new Error(`node ${name} did not start:\n${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async kill() {
      await signal(node.child, 'SIGKILL');
    },
    async stop() {
      await signal(node.child, 'SIGTERM');
    },
  };
  return node;
}

async function signal(child: ChildProcess, name: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(name);
  await exited;
}

/** Stops every node still running (SIGKILL: the tests' data is thrown away). */
export async function killCluster(nodes: readonly ClusterNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.kill()));
}
