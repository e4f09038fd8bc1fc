import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collect, runBin, scratch, type Run } from './fixtures.ts';

// The CLI against a real server process (the server package's bin, from its sources), over HTTP.
const SERVER_BIN = fileURLToPath(new URL('../../server/bin/backup-server.cjs', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const API_KEY = 'cli-test-key';

let server: ChildProcess | undefined;
let url = '';
let root = '';
let remove: () => void = () => {};

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return await fetch(`${url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  ({ dir: root, remove } = scratch('server'));
  server = spawn(process.execPath, ['--conditions=@backup/source', SERVER_BIN, '--host', '127.0.0.1', '--port', '0'], {
    env: {
      PATH: process.env.PATH,
      PERSISTENCE_DATA_PATH: join(root, 'data'),
      ENABLE_MODULES: 'backup-filesystem',
      BACKUP_FILESYSTEM_PATH: join(root, 'backups'),
      BACKUP_FILESYSTEM_ALLOWED_ROOTS: root,
      AUTHENTICATION_APIKEY_ENABLED: 'true',
      AUTHENTICATION_APIKEY_ALLOWED_KEYS: API_KEY,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/backup providers: .*\n/.test(out)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`backup-server did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
  expect((await api('POST', '/schema', { class: 'Book' })).status).toBe(200);
  const objects = Array.from({ length: 300 }, (_, i) => ({ class: 'Book', properties: { title: `book ${i} ${'x'.repeat(300)}` } }));
  expect((await api('POST', '/batch/objects', { objects })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  remove();
});

const env = (): NodeJS.ProcessEnv => ({ BACKUP_URL: url, BACKUP_API_KEY: API_KEY, BACKUP_BACKEND: 'filesystem' });
const cli = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> => runBin(args, { ...env(), ...extra });

/** Runs the CLI in a pseudo-terminal through util-linux `script`, which exits with the command's code. */
async function inTerminal(args: string[]): Promise<Run> {
  const quoted = [process.execPath, '--conditions=@backup/source', CLI_BIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-f', '-c', quoted, '/dev/null'], {
    env: { PATH: process.env.PATH, TERM: 'xterm', ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return await collect(child);
}

/** Flags of a backup of the `Slow` class that runs for seconds: 48 MiB, 2 MB chunks, best compression, one pipeline. */
const SLOW_BACKUP = ['--include', 'Slow', '--chunk-size', '2', '--compression', 'BestCompression', '--cpu-percentage', '1'];

/**
 * Runs `test` with a class `Slow` of 48 MiB of incompressible text, so a backup of it is still running
 * when the test acts on it (a cancel, a Ctrl-C) whatever the machine's speed; removes the class after.
 */
async function withSlowClass(test: () => Promise<void>): Promise<void> {
  expect((await api('POST', '/schema', { class: 'Slow' })).status).toBe(200);
  try {
    for (let batch = 0; batch < 48; batch++) {
      const objects = Array.from({ length: 4 }, () => ({ class: 'Slow', properties: { text: randomBytes(192 * 1024).toString('base64') } }));
      expect((await api('POST', '/batch/objects', { objects })).status).toBe(200);
    }
    await test();
  } finally {
    await api('DELETE', '/schema/Slow');
  }
}

describe('backup commands against a running server', { timeout: 120_000 }, () => {
  test('create --wait --json: one JSON line per poll, ending SUCCESS with totals; status, list', async () => {
    const created = await cli(['create', 'first', '--wait', '--json', '--interval', '20', '--chunk-size', '2']);
    expect(created.code, created.stderr).toBe(0);
    const polls = created.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    const last = polls.at(-1)!;
    expect(last).toMatchObject({ id: 'first', status: 'SUCCESS' });
    expect(last.progress.bytesTotal).toBeGreaterThan(0);
    expect(last.progress.bytesDone).toBe(last.progress.bytesTotal);
    expect(created.stderr).toBe(''); // --json: no bar

    const status = await cli(['status', 'first']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^backup first: SUCCESS, [\d.]+ (B|KiB|MiB) of [\d.]+ (B|KiB|MiB)\n$/);

    const listed = await cli(['list', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((backup) => backup.id)).toContain('first');
    const table = await cli(['list']);
    expect(table.stdout).toMatch(/^first\tSUCCESS\t.+\tBook$/m);
  });

  test('exit codes: refused 1, not found 4, bad key 5, unreachable 6, bad arguments 2', async () => {
    expect((await cli(['create', 'codes', '--wait', '-q'])).code).toBe(0);
    const again = await cli(['create', 'codes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^backup create: .*already exists/);
    expect((await cli(['status', 'nope'])).code).toBe(4);
    expect((await cli(['restore-status', 'codes'])).code).toBe(4);
    expect((await cli(['cancel', 'codes'])).code).toBe(1); // already succeeded
    expect((await cli(['status', 'codes'], { BACKUP_API_KEY: 'wrong' })).code).toBe(5);
    expect((await cli(['status', 'codes'], { BACKUP_URL: 'http://127.0.0.1:9' })).code).toBe(6);
    expect((await cli(['status'])).code).toBe(2);
    expect((await cli(['list', '--order', 'sideways'])).code).toBe(2);
    expect((await cli(['status', 'codes', '--backend', ''], { BACKUP_BACKEND: '' })).code).toBe(2);
  });

  test('create --incremental-base, delete, prune --dry-run and prune', async () => {
    expect((await cli(['create', 'chain-a', '--wait', '-q'])).code).toBe(0);
    expect((await cli(['create', 'chain-b', '--incremental-base', 'chain-a', '--wait', '-q'])).code).toBe(0);
    const status = JSON.parse((await cli(['status', 'chain-b', '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'SUCCESS', incremental_base_backup_id: 'chain-a' });
    expect(status.bytesReused).toBeGreaterThan(0);
    expect((await cli(['create', 'chain-x', '--incremental-base', 'nope'])).code).toBe(1);
    expect((await cli(['create', 'chain-c', '--incremental-base', 'chain-b', '--wait', '-q'])).code).toBe(0);
    expect((await cli(['delete', 'chain-a'])).code).toBe(0);
    expect((await cli(['status', 'chain-a'])).code).toBe(4);
    // Its objects that chain-b reuses remain: deleting it again only sweeps again (an interrupted delete resumes this way).
    expect((await cli(['delete', 'chain-a'])).code).toBe(0);
    expect((await cli(['delete', 'never-was'])).code).toBe(4);

    const dry = await cli(['prune', '--keep-last', '1', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { keep: string[]; delete: string[]; deleted: string[] };
    expect(plan.keep[0]).toBe('chain-c');
    expect(plan.delete).toContain('chain-b');
    expect(plan.deleted).toEqual([]);
    expect((await cli(['status', 'chain-b'])).code).toBe(0);
    expect((await cli(['prune'])).code).toBe(2);
    expect((await cli(['prune', '--newer-than', 'soon'])).code).toBe(2);
    const pruned = await cli(['prune', '--keep-last', '1', '--json']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect((JSON.parse(pruned.stdout) as { deleted: string[] }).deleted).toContain('chain-b');
    expect((await cli(['status', 'chain-b'])).code).toBe(4);
    expect((await cli(['status', 'chain-c'])).code).toBe(0);
  });

  test('restore --wait, restore-status; verify and copy on the server', async () => {
    expect((await cli(['create', 'moving', '--wait', '-q'])).code).toBe(0);
    const verified = await cli(['verify', 'moving', '--backend', 'filesystem']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^verify of moving: SUCCESS/);
    const copied = await cli(['copy', 'moving', '--from', 'filesystem', '--to', 'filesystem', '--to-path', join(root, 'elsewhere')]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(new RegExp(`^copy of moving to ${join(root, 'elsewhere', 'moving')} SUCCESS`));

    expect((await api('DELETE', '/schema/Book')).status).toBe(200);
    const restored = await cli(['restore', 'moving', '--wait', '--interval', '20']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restore moving SUCCESS, [\d.]+ (B|KiB|MiB)\n$/);
    // Not a terminal: plain progress lines, no carriage returns.
    expect(restored.stderr).not.toContain('\r');
    const status = await cli(['restore-status', 'moving', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: 'moving', status: 'SUCCESS' });
    // The class is back: a second restore is refused (it exists).
    expect((await cli(['restore', 'moving'])).code).toBe(1);
  });

  test('a cancelled backup: its status exits 7, cancelling it again exits 0', async () => {
    await withSlowClass(async () => {
      // Created and cancelled over HTTP directly: the backup runs for seconds, the cancel comes within milliseconds.
      const config = { ChunkSize: 2, CompressionLevel: 'BestCompression', CPUPercentage: 1 };
      expect((await api('POST', '/backups/filesystem', { id: 'cancelled', include: ['Slow'], config })).status).toBe(200);
      expect((await api('DELETE', '/backups/filesystem/cancelled')).status).toBe(204);
      const status = await cli(['status', 'cancelled', '--wait', '-q']);
      expect(status.code, status.stdout).toBe(7);
      expect(status.stdout).toMatch(/^backup cancelled: CANCELED/);
      const again = await cli(['cancel', 'cancelled']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe('backup cancelled: cancel requested\n');
    });
  });

  test('verify on the server of a damaged backup exits 3 and lists the problem', async () => {
    expect((await cli(['create', 'damaged', '--wait', '-q'])).code).toBe(0);
    const { readdir, writeFile } = await import('node:fs/promises');
    const chunks = join(root, 'backups', 'damaged', 'node1', 'Book');
    const [first] = (await readdir(chunks)).filter((name) => name.startsWith('chunk-'));
    await writeFile(join(chunks, first!), 'damaged');
    const verified = await cli(['verify', 'damaged']);
    expect(verified.code, verified.stderr).toBe(3);
    expect(verified.stdout).toMatch(/^verify of damaged: FAILED/);
    expect(verified.stdout).toContain(`damaged/node1/Book/${first}`);
  });

  test('in a terminal: a progress bar redrawn in place with bytes, rate and ETA, and the exit code', async () => {
    const run = await inTerminal(['create', 'tty', '--wait', '--interval', '20']);
    expect(run.code, run.stdout).toBe(0);
    // The pty merges stdout and stderr: the bar's redraws, then the summary line.
    expect(run.stdout).toMatch(/\rbackup tty [A-Z]+ \[[#?-]{24}\] +[\d?]+% {2}[\d.]+ (B|KiB|MiB) \/ ([\d.]+ (B|KiB|MiB)|\?) {2}[\d.]+ (B|KiB|MiB)\/s {2}ETA /);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matches the terminal's erase-line escape
    expect(run.stdout).toMatch(/\rbackup tty SUCCESS \[#{24}\] 100% .*ETA 0s\u001b\[K\r?\n/);
    expect(run.stdout).toMatch(/backup tty SUCCESS, [\d.]+ (B|KiB|MiB) in /);
    const missing = await inTerminal(['status', 'nothing-here']);
    expect(missing.code).toBe(4);
  });

  test('Ctrl-C while waiting exits 130 and says the operation goes on on the server', async () => {
    await withSlowClass(async () => {
      // SIGINT once the first (non-final) status is shown; the slow backup is still running then.
      const child = spawn(
        process.execPath,
        ['--conditions=@backup/source', CLI_BIN, 'create', 'interrupted', ...SLOW_BACKUP, '--wait', '--interval', '60000'],
        {
          env: { PATH: process.env.PATH, ...env() },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!stderr.includes('backup interrupted ') && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      child.kill('SIGINT');
      const code = await exited;
      expect(code, stderr).toBe(130);
      expect(stderr).toMatch(/stopped waiting; the operation goes on on the server/);
      // It did go on.
      const status = await cli(['status', 'interrupted', '--wait', '-q']);
      expect(status.code).toBe(0);
    });
  });
});
