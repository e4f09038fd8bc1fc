// The memory bound the README states, measured on a real process running the
// built packages: a backup in worker threads (each with its own provider) must
// stay within `idle + workers × 48 MiB + pipelines × 16 MiB`, must not grow
// with the data backed up, and on many cores must share its workers.
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { removeDir, scratchDir } from './fixtures/scratch.ts';

const MiB = 1024 * 1024;
/**
 * The README's bound per worker thread: its isolate and modules (≈ 18 MiB),
 * its heap and the buffers V8 has not collected yet, with room for slower
 * machines.
 */
const PER_WORKER_BYTES = 48 * MiB;
/**
 * The README's bound per pipeline: ≈ 5 MiB of stream buffers and codec
 * state plus the provider's per-write buffer (0 for the filesystem), with room.
 * Measured 2026-12-06 (2 cores, from dist/): 4 pipelines on 4 workers
 * 165–195 MiB over idle, 13 pipelines on 8 workers 358; 16 pipelines in the
 * main thread (no workers) 117.
 */
const PER_PIPELINE_BYTES = 16 * MiB;
/**
 * 4× the data may cost at most this much more at the peak: V8 heaps settle
 * (measured: within ±10 MiB, idle or beside three busy loops), while anything
 * holding the data would cost 384 MiB more.
 */
const GROWTH_ALLOWANCE_BYTES = 64 * MiB;

interface Measured {
  readonly idleBytes: number;
  readonly peakBytes: number;
  readonly fileBytes: number;
  readonly workers: number;
  readonly backupMs: number;
}

const dirs: string[] = [];

// What is measured is what users run: dist/, built from the current sources.
beforeAll(async () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const pkg of ['core', 'provider-filesystem']) {
    const project = fileURLToPath(new URL(`../../${pkg}/tsconfig.build.json`, import.meta.url));
    await promisify(execFile)(process.execPath, [tsc, '-p', project]);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** One backup of `mib` MiB as a `cores`-core machine runs it at `percentage` % CPU. */
async function measure(mib: number, cores: number, percentage: number): Promise<Measured> {
  const root = await scratchDir('memory-bound');
  dirs.push(root);
  const script = fileURLToPath(new URL('./fixtures/memory-bound-run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', script, root, String(mib), String(cores), String(percentage)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Measured;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const describeRun = (run: Measured): string =>
  `${mib(run.fileBytes)} MiB in ${run.backupMs} ms on ${run.workers} workers: idle ${mib(run.idleBytes)} MiB, peak ${mib(run.peakBytes)} MiB`;

function expectWithinBound(run: Measured, pipelines: number): void {
  const bound = run.workers * PER_WORKER_BYTES + pipelines * PER_PIPELINE_BYTES;
  expect(run.peakBytes - run.idleBytes, describeRun(run)).toBeLessThanOrEqual(bound);
  // Proof that the measurement sees the backup at all: the workers started.
  expect(run.peakBytes - run.idleBytes, describeRun(run)).toBeGreaterThan(run.workers * 8 * MiB);
}

test('4 pipelines (8 cores at CPUPercentage 50): within the bound, and no growth with 4× the data', { timeout: 240_000 }, async () => {
  // 16 chunks of 8 MiB at the least, so that each of the 4 pipelines reaches
  // its steady state in the smaller run too (with 64 MiB a busy machine
  // sometimes never had all four workers at their peak at once, and the
  // comparison measured start-up, not growth).
  const small = await measure(128, 8, 50);
  const large = await measure(512, 8, 50);
  console.log(`memory bound, 4 pipelines: ${describeRun(small)}; ${describeRun(large)}`);
  expect(large.fileBytes).toBe(4 * small.fileBytes);
  for (const run of [small, large]) {
    expect(run.workers).toBe(4);
    expectWithinBound(run, 4);
  }
  expect(large.peakBytes - small.peakBytes).toBeLessThanOrEqual(GROWTH_ALLOWANCE_BYTES);
});

test('13 pipelines (16 cores at CPUPercentage 80) share 8 workers and stay within the bound', { timeout: 240_000 }, async () => {
  const run = await measure(512, 16, 80);
  console.log(`memory bound, 13 pipelines: ${describeRun(run)}`);
  expect(run.workers).toBe(8);
  expectWithinBound(run, 13);
});
