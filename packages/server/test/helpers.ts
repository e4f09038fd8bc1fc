import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type StartServerOptions } from '../src/index.ts';

/** A scratch folder on tmpfs where there is one. */
export function scratch(name: string): string {
  const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, `server-${name}-`));
}

export interface TestServer extends RunningServer {
  readonly root: string;
  /** Calls the API under `/v1`; a string body is sent as is (to test malformed JSON). */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /** Stops the server and removes its folders. */
  stop(): Promise<void>;
}

export interface ApiAnswer {
  readonly status: number;
  /** Parsed JSON of many shapes; tests read what they need. */
  readonly body: any;
}

/** A real server on 127.0.0.1 (ephemeral port) with its store and backups on tmpfs. */
export async function startTestServer(env: NodeJS.ProcessEnv = {}, options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const root = scratch('api');
  // A server that refuses to start (a test of bad configuration) leaves no scratch folder behind.
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataPath: join(root, 'data'),
    env: { ENABLE_MODULES: 'backup-filesystem', BACKUP_FILESYSTEM_PATH: join(root, 'backups'), ...env },
    log: () => undefined,
    logDestination: () => undefined,
    ...options,
  }).catch((error: unknown) => {
    rmSync(root, { recursive: true, force: true });
    throw error;
  });
  return {
    ...server,
    root,
    call: (method, path, body, headers) => call(server.url, method, path, body, headers),
    stop: async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function call(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const response = await fetch(`${baseUrl}/v1${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Asserts Weaviate's error body shape and returns its first message. */
export function errorMessage(answer: ApiAnswer): string {
  const error = answer.body?.error;
  if (!Array.isArray(error) || typeof error[0]?.message !== 'string') {
    throw new Error(`expected {"error":[{"message"}]}, got ${JSON.stringify(answer.body)}`);
  }
  return error[0].message as string;
}
