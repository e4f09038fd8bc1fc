// The memory bound the README states for N pipelines, measured on a real
// process: a backup with 4 pipelines in worker threads (each with its own
// provider) must stay within it, and must not grow with the data backed up.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { removeDir, scratchDir } from './fixtures/scratch.ts';

const MiB = 1024 * 1024;
const PIPELINES = 4;
/**
 * The README's bound per pipeline, run from TypeScript sources: the worker
 * thread (≈ 40 MiB, its isolate and modules, with the type stripper) plus
 * ≈ 5 MiB of stream buffers and codec state, plus the provider's per-write
 * buffer (0 for the filesystem), with room for V8's heap sizing.
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
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function measure(mib: number): Promise<Measured> {
  const root = await scratchDir('memory-bound');
  dirs.push(root);
  const script = fileURLToPath(new URL('./fixtures/memory-bound-run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--conditions=@backup/source', script, root, String(mib), String(PIPELINES)], {
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
    `memory bound: idle ${mib(small.idleBytes)}/${mib(large.idleBytes)} MiB, peak ${mib(small.peakBytes)} MiB (${mib(small.fileBytes)} MiB) and ${mib(large.peakBytes)} MiB (${mib(large.fileBytes)} MiB)`,
  );
  for (const run of [small, large]) {
    expect(run.peakBytes - run.idleBytes, `${run.fileBytes / MiB} MiB backed up`).toBeLessThanOrEqual(PIPELINES * PER_PIPELINE_BYTES);
    // Proof that the measurement sees the backup at all: N workers started.
    expect(run.peakBytes - run.idleBytes).toBeGreaterThan(PIPELINES * 8 * MiB);
  }
  expect(large.peakBytes - small.peakBytes).toBeLessThanOrEqual(GROWTH_ALLOWANCE_BYTES);
});
