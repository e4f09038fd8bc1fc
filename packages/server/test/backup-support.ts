/** Shared helpers of the backup end-to-end tests (packages/server/test/backup-*.test.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, type ApiAnswer } from './helpers.ts';

export const FINAL = ['SUCCESS', 'FAILED', 'CANCELED'];

/** Polls a status path until `done`, failing on anything but 200 or after `timeoutMs`. */
export async function pollStatus(
  url: string,
  path: string,
  done: (status: string) => boolean = (status) => FINAL.includes(status),
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call(url, 'GET', path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (done(answer.body.status)) return answer.body;
    if (Date.now() > deadline) throw new Error(`GET ${path} still ${answer.body.status}`);
    await sleep(25);
  }
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Every file below `dir` (hidden ones too), relative, '/'-separated, sorted; [] if it does not exist. */
export async function filesBelow(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Incompressible text of `bytes` characters. */
export function noise(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes);
}

export async function createClass(url: string, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const answer = await call(url, 'POST', '/schema', {
    class: name,
    properties: [
      { name: 'n', dataType: ['int'] },
      { name: 'text', dataType: ['text'] },
    ],
    ...extra,
  });
  if (answer.status !== 200) throw new Error(`POST /schema ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Adds `count` objects of about `size` bytes in batches; returns their ids and properties. */
export async function fill(url: string, className: string, count: number, size: number, tenant?: string): Promise<Map<string, { n: number; text: string }>> {
  const stored = new Map<string, { n: number; text: string }>();
  const batchBytes = 1024 * 1024;
  const perBatch = Math.max(1, Math.floor(batchBytes / Math.max(size, 1)));
  for (let start = 0; start < count; start += perBatch) {
    const objects = [];
    for (let n = start; n < Math.min(count, start + perBatch); n++) {
      objects.push({ class: className, properties: { n, text: noise(size) }, ...(tenant ? { tenant } : {}) });
    }
    const answer = await call(url, 'POST', '/batch/objects', { objects });
    if (answer.status !== 200) throw new Error(`batch: ${answer.status} ${JSON.stringify(answer.body)}`);
    for (const [index, result] of (answer.body as BatchResult[]).entries()) {
      if (result.result?.errors) throw new Error(`batch object failed: ${JSON.stringify(result.result.errors)}`);
      stored.set(result.id, objects[index]!.properties);
    }
  }
  return stored;
}

export interface BatchResult {
  readonly id: string;
  readonly result?: { errors?: { error: { message: string }[] } };
}

/** Every object of a class (or tenant), by id, paging with `after`. */
export async function readAll(url: string, className: string, tenant?: string): Promise<Map<string, { n: number; text: string }>> {
  const found = new Map<string, { n: number; text: string }>();
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ class: className, limit: '1000' });
    if (after) query.set('after', after);
    if (tenant) query.set('tenant', tenant);
    const answer = await call(url, 'GET', `/objects?${query}`);
    if (answer.status !== 200) throw new Error(`GET /objects: ${answer.status} ${JSON.stringify(answer.body)}`);
    const objects = answer.body.objects as { id: string; properties: { n: number; text: string } }[];
    for (const object of objects) found.set(object.id, object.properties);
    if (objects.length < 1000) return found;
    after = objects.at(-1)!.id;
  }
}

export async function classNames(url: string): Promise<string[]> {
  const answer: ApiAnswer = await call(url, 'GET', '/schema');
  return (answer.body.classes as { class: string }[]).map((entry) => entry.class).sort();
}

const BIN = fileURLToPath(new URL('../bin/backup-server.cjs', import.meta.url));

export interface ChildServer {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** The server's bin as a child process (so it can be killed for real). */
export async function spawnServer(env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--conditions=@backup/source', BIN], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url && !/backup providers: .*\n/.test(out)) url = undefined;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`backup-server did not start:\n${out}`);
    }
    if (!url) await sleep(50);
  }
  return {
    child,
    url,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
