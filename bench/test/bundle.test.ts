// The bench bundle for many-core machines builds, and runs the speed comparisons where
// nothing of the workspace is: a PATH of the system's folders without node, pigz or zstd,
// an empty environment, the bundle outside the repository. Every baseline then runs with
// the bundle's own pigz and zstd, and the harness and server with its own Node.
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { WORKER_ENTRY_GLOB } from '../src/bundle/build-bundle.ts';
import { BUNDLED_SERVER_DIR, BUNDLED_SERVER_PATH, BUNDLED_WORKER_PROVIDER } from '../src/bundle/layout.ts';
import type { SpeedResult } from '../src/results.ts';
import { pathWithout } from './path-without.ts';

const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(benchRoot, '..');
const scratch = mkdtempSync(path.join(os.platform() === 'linux' ? '/dev/shm' : os.tmpdir(), 'bench-bundle-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const RUN_LIMIT_MS = 150_000;

test(
  'npm run bench -- --bundle <dir> builds a bundle whose run.sh runs the speed comparisons with nothing installed',
  async () => {
    const bundle = path.join(scratch, 'bundle');
    const built = await run(process.execPath, ['--conditions=@backup/source', 'src/cli.ts', '--bundle', bundle], { cwd: benchRoot, env: process.env });
    expect(built.code, built.stderr).toBe(0);
    for (const file of [
      'bench.mjs',
      BUNDLED_SERVER_PATH,
      `${BUNDLED_SERVER_DIR}/${BUNDLED_WORKER_PROVIDER}`,
      'proto/weaviate.proto',
      'bin/node',
      'bin/pigz',
      'bin/zstd',
      'run.sh',
      'README.md',
      'bundle.json',
    ]) {
      expect(existsSync(path.join(bundle, file)), file).toBe(true);
    }
    // Each worker-thread entry of the packages beside the server, where the core starts it from.
    for (const worker of globSync(WORKER_ENTRY_GLOB, { cwd: repoRoot })) {
      expect(existsSync(path.join(bundle, BUNDLED_SERVER_DIR, `${path.basename(worker, '.ts')}.mjs`)), worker).toBe(true);
    }

    const bare = pathWithout(
      path.join(scratch, 'bare-path'),
      ['node', 'nodejs', 'npm', 'npx', 'pnpm', 'corepack', 'pigz', 'unpigz', 'zstd'],
      ['/usr/bin', '/bin'],
    );
    const output = path.join(scratch, 'result.json');
    const workDir = path.join(scratch, 'work');
    const args = [path.join(bundle, 'run.sh'), '--speed-only', '--quick', '--size', String(16 / 1024), '--work-dir', workDir];
    // Workers on, as `auto` chooses on the many-core machines the bundle is for: the bundled
    // workers must start and build their own provider from the bundle's file of it.
    const env = { PATH: bare, OUT: output, BACKUP_WORKER_THREADS: 'on' };
    const ran = await run('/bin/sh', args, { cwd: scratch, env, timeoutMs: RUN_LIMIT_MS });
    expect(ran.code, ran.stderr).toBe(0);

    const result = JSON.parse(readFileSync(output, 'utf8')) as SpeedResult;
    expect(result.speedOnly).toBe(true);
    expect(result.versions.node).toBe(process.version); // the Node this build ran on, copied
    expect(result.versions.bundle?.commit).toMatch(/^[0-9a-f]{40}/);
    expect(result.versions.packages['@backup/core']).toMatch(/^\d+\.\d+\.\d+/);
    for (const tool of ['pigz', 'zstd'] as const) {
      expect(result.versions.tools[tool], tool).not.toMatch(/unavailable/);
      expect(ran.stderr).toContain(`(${path.join(bundle, 'bin', tool)})`);
    }
    expect(result.backup.length).toBeGreaterThan(0);
    for (const comparison of [...result.backup, ...result.restore]) {
      expect(comparison.ours.seconds, comparison.name).toBeGreaterThan(0);
      expect(comparison.baseline.available, comparison.name).toBe(true);
      expect(comparison.ratio, comparison.name).toBeGreaterThan(0);
    }
    expect(result.restore.length).toBeGreaterThan(0);
    // Only the speed comparisons and the main-thread share are judged.
    expect(result.targets).toHaveLength(result.backup.length + result.restore.length + result.mainThread!.codecs.length);
    expect(ran.stdout).toMatch(/backup gzip-default@default .*(PASS|MISS)/);
    expect(ran.stdout).toMatch(/Targets: \d+ PASS, \d+ MISS\./);
  },
  RUN_LIMIT_MS + 60_000,
);

test('--bundle never overwrites a folder that is neither empty nor a bundle', async () => {
  const folder = path.join(scratch, 'not-a-bundle');
  mkdirSync(path.join(folder, 'bin'), { recursive: true });
  writeFileSync(path.join(folder, 'bin', 'keep-me'), 'mine');
  const built = await run(process.execPath, ['--conditions=@backup/source', 'src/cli.ts', '--bundle', folder], { cwd: benchRoot, env: process.env });
  expect(built.code).toBe(1);
  expect(built.stderr).toMatch(/neither empty nor a bench bundle/);
  expect(readFileSync(path.join(folder, 'bin', 'keep-me'), 'utf8')).toBe('mine');
});

interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Killed (and the test fails on its exit code) after this long. */
  readonly timeoutMs?: number;
}

function run(command: string, args: string[], options: RunOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops the server the harness started too.
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: timer === undefined ? stderr : `${stderr}\n(limit ${options.timeoutMs} ms)` });
    });
  });
}
