// The memory bound the README states for N pipelines, measured on a real
// process running the built packages: a backup with 4 pipelines in worker
// threads (each with its own provider) must stay within it, and must not grow
// with the data backed up.
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { removeDir, scratchDir } from './fixtures/scratch.ts';

const MiB = 1024 * 1024;
const PIPELINES = 4;
/**
 * The README's bound per pipeline: the worker thread (≈ 18 MiB, its isolate
 * and modules) plus ≈ 5 MiB of stream buffers and codec state, plus the
 * provider's per-write buffer (0 for the filesystem), with room for the
 * buffers V8 has not collected yet and for slower machines (measured
 * 41–44 MiB per pipeline here, 2026-12-06).
 */
const PER_PIPELINE_BYTES = 64 * MiB;
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

async function measure(mib: number): Promise<Measured> {
  const root = await scratchDir('memory-bound');
  dirs.push(root);
  const script = fileURLToPath(new URL('./fixtures/memory-bound-run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', script, root, String(mib), String(PIPELINES)], {
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

test(`${PIPELINES} pipelines: peak RSS stays within idle + pipelines × 64 MiB and does not grow with 4× the data`, { timeout: 240_000 }, async () => {
  // 16 chunks of 8 MiB at the least, so that each of the 4 pipelines reaches
  // its steady state in the smaller run too (with 64 MiB a busy machine
  // sometimes never had all four workers at their peak at once, and the
  // comparison measured start-up, not growth).
  const small = await measure(128);
  const large = await measure(512);
  expect(large.fileBytes).toBe(4 * small.fileBytes);
  const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
  console.log(
    `memory bound: idle ${mib(small.idleBytes)}/${mib(large.idleBytes)} MiB, peak ${mib(small.peakBytes)} MiB (${mib(small.fileBytes)} MiB in ${small.backupMs} ms) and ${mib(large.peakBytes)} MiB (${mib(large.fileBytes)} MiB in ${large.backupMs} ms)`,
  );
  for (const run of [small, large]) {
    expect(run.peakBytes - run.idleBytes, `${run.fileBytes / MiB} MiB backed up`).toBeLessThanOrEqual(PIPELINES * PER_PIPELINE_BYTES);
    // Proof that the measurement sees the backup at all: N workers started.
    expect(run.peakBytes - run.idleBytes).toBeGreaterThan(PIPELINES * 8 * MiB);
  }
  expect(large.peakBytes - small.peakBytes).toBeLessThanOrEqual(GROWTH_ALLOWANCE_BYTES);
});
