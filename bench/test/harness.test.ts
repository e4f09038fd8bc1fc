// The harness end to end in its smallest mode, so it cannot rot: every named
// figure must be in the JSON. This is not a timed test: no figure is judged
// here, only that it was measured (or that its absence is explained).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTO_MIN_CORES } from '@backup/core';
import { afterAll, expect, test } from 'vitest';
import { BACKUP_CONFIGS } from '../src/backup-speed.ts';
import type { BaselineTool } from '../src/baselines.ts';
import { COLLECTIONS } from '../src/dataset.ts';
import { parallelismLevels } from '../src/parallelism.ts';
import type { BenchResult } from '../src/results.ts';
import { pathWithout } from './path-without.ts';

const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(path.join(os.platform() === 'linux' ? '/dev/shm' : os.tmpdir(), 'bench-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `npm run bench -- --quick` on the smallest data set with `PATH`, and returns its JSON result and table. */
async function runQuickBench(name: string, pathVariable: string | undefined): Promise<{ result: BenchResult; stdout: string; stderr: string }> {
  const output = path.join(scratch, `${name}.json`);
  const workDir = path.join(scratch, name);
  // 16 MiB: the smallest data set that still spans every collection, shard and tenant.
  const args = ['--conditions=@backup/source', 'src/cli.ts', '--quick', '--size', String(16 / 1024), '--out', output, '--work-dir', workDir];
  const env = pathVariable === undefined ? process.env : { ...process.env, PATH: pathVariable };
  const { code, stdout, stderr } = await run(process.execPath, args, benchRoot, env);
  expect(code, stderr).toBe(0);
  return { result: JSON.parse(readFileSync(output, 'utf8')) as BenchResult, stdout, stderr };
}

// `npm test` installs the baseline tools (scripts/test.sh), so here every comparison is judged.
test('npm run bench -- --quick writes every named figure and prints the table', async () => {
  const { result, stdout } = await runQuickBench('all-tools', undefined);
  for (const tool of ['tar', 'pigz', 'zstd'] as const) expect(result.versions.tools[tool], tool).not.toMatch(/unavailable/);
  expectCompleteResult(result);
  for (const comparison of [...result.backup, ...result.restore]) expect(comparison.baseline.available, comparison.name).toBe(true);
  expect(stdout).toMatch(/backup gzip-default@default .*(PASS|MISS)/);
  expect(stdout).toMatch(/backup zstd-default@default .*(PASS|MISS)/);
  expect(stdout).toMatch(/backup time, 0\.06 GiB .* s\/GiB/);
  expect(stdout).toMatch(/backup time growth, \d\.\d× the data +\d+\.\d\d× the time/);
  expect(stdout).toMatch(/Targets: \d+ PASS, \d+ MISS\./);
}, 240_000);

// The same run on a machine without pigz and zstd: the comparisons that need them say so,
// are not judged, and everything else is still measured.
test('a baseline tool that is not installed is reported UNAVAILABLE, never judged, never a failed run', async () => {
  const hidden: BaselineTool[] = ['pigz', 'zstd'];
  const { result, stdout, stderr } = await runQuickBench('no-pigz-zstd', pathWithout(path.join(scratch, 'path-without'), hidden));
  for (const tool of hidden) expect(result.versions.tools[tool]).toMatch(new RegExp(`unavailable: \`${tool}\` is not installed`));
  expect(result.versions.tools.tar).not.toMatch(/unavailable/);
  expectCompleteResult(result);
  for (const comparison of result.backup) {
    const needsHiddenTool = comparison.baseline.label.includes('pigz') || comparison.baseline.label.includes('zstd');
    expect(comparison.baseline.available, comparison.name).toBe(!needsHiddenTool);
  }
  for (const comparison of result.restore) expect(comparison.baseline.available, comparison.name).toBe(false);
  // A comparison without its baseline is not judged; one with it is.
  for (const comparison of result.backup) {
    const target = result.targets.find((t) => t.name === `backup ${comparison.name} vs ${comparison.baseline.label}`);
    expect(target?.pass === null, comparison.name).toBe(!comparison.baseline.available);
  }
  const unjudged = result.targets.filter((target) => target.pass === null).length;
  for (const tool of hidden) expect(stderr).toMatch(new RegExp(`baseline tool ${tool} is UNAVAILABLE`));
  expect(stdout).toMatch(/backup gzip-default@default .*tar \| pigz .*: UNAVAILABLE +n\/a/);
  expect(stdout).toMatch(/backup none@default .*(PASS|MISS)/);
  expect(stdout).toMatch(new RegExp(`Targets: \\d+ PASS, \\d+ MISS, ${unjudged} not measured \\(a tool or benchmark was unavailable\\)`));
}, 240_000);

/** Every named figure is in the JSON: measured, or its absence explained. */
function expectCompleteResult(result: BenchResult): void {
  const positive = expect.any(Number);
  expect(result.machine).toMatchObject({ cpus: positive, cpuModel: expect.any(String), memoryBytes: positive, loadAverageAtEnd: positive });
  expect(result.versions.node).toBe(process.version);
  expect(Object.keys(result.versions.packages)).toEqual(expect.arrayContaining(['@backup/core', '@backup/lsm', '@backup/server']));
  expect(Object.keys(result.versions.tools).sort()).toEqual(['pigz', 'tar', 'zstd']);
  expect(result.dataset.diskBytes).toBeGreaterThan(8 * 1024 * 1024);
  expect(result.dataset.collections.map((c) => c.name)).toEqual(COLLECTIONS.map((c) => c.schema.class));

  // Every compression level at every parallelism level, each side either timed or explained.
  const levels = parallelismLevels(os.availableParallelism());
  expect(result.backup.map((c) => c.name)).toEqual(BACKUP_CONFIGS.flatMap((config) => levels.map((level) => `${config.key}@${level.name}`)));
  for (const comparison of result.backup) {
    expect(comparison.ours.seconds).toBeGreaterThan(0);
    expect(comparison.ours.storedBytes).toBeGreaterThan(0);
    expect(comparison.ours.peakRssBytes).toBeGreaterThan(0);
    // The CPUPercentage we sent must have given the engine the pipelines we compare against.
    expect(comparison.ours.pipelines).toBe(comparison.parallelism.pipelines);
    expectBaseline(comparison.baseline, comparison.ratio);
  }
  expect(result.restore.map((c) => c.name)).toEqual(levels.map((level) => `restore-gzip-default@${level.name}`));
  for (const comparison of result.restore) {
    expect(comparison.ours.seconds).toBeGreaterThan(0);
    expectBaseline(comparison.baseline, comparison.ratio);
  }
  // Incremental after 1 % new writes: it uploaded something, less than the full backup did.
  expect(result.incremental!.full.storedBytes).toBeGreaterThan(0);
  expect(result.incremental!.incremental.storedBytes).toBeGreaterThan(0);
  expect(result.incremental!.bytesRatio).toBeLessThan(1);
  expect(result.targets.map((t) => t.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^incremental backup after 1 % new writes: time/)]));
  // Encryption against none, both timed.
  expect(result.encryption!.plainSeconds).toBeGreaterThan(0);
  expect(result.encryption!.encryptedSeconds).toBeGreaterThan(0);
  expect(result.encryption!.throughputRatio).toBeGreaterThan(0);
  // The server's main thread is one of its threads: its CPU is part of the whole, per codec and per run.
  for (const comparison of [...result.backup, ...result.restore]) {
    expect(comparison.ours.mainThreadCpuSeconds).toHaveLength(comparison.ours.allCpuSeconds.length);
    comparison.ours.mainThreadCpuSeconds.forEach((main, round) => {
      expect(main).toBeLessThanOrEqual(comparison.ours.allCpuSeconds[round]!);
    });
  }
  // Every CPU second of the server is given to a kind of thread; the chunk workers do the per-byte work wherever the engine starts them.
  for (const comparison of [...result.backup, ...result.restore]) {
    const roles = comparison.ours.threadCpuSeconds!;
    const all = comparison.ours.allCpuSeconds.reduce((sum, seconds) => sum + seconds, 0);
    expect(Object.values(roles).reduce((sum, seconds) => sum + seconds, 0)).toBeGreaterThanOrEqual(all - 1e-9);
    expect(roles.main).toBeCloseTo(
      comparison.ours.mainThreadCpuSeconds.reduce((sum, seconds) => sum + seconds, 0),
      6,
    );
    if (os.availableParallelism() >= AUTO_MIN_CORES) expect(roles.chunkWorkers, comparison.name).toBeGreaterThan(0);
  }
  const codecs = result.mainThread!.codecs;
  expect(codecs.map((codec) => codec.name)).toEqual([...BACKUP_CONFIGS.map((config) => `backup ${config.key}`), 'restore-gzip-default']);
  for (const codec of codecs) {
    expect(codec.allCpuSeconds).toBeGreaterThan(0);
    expect(codec.share).toBeGreaterThan(0);
    expect(codec.share).toBeLessThanOrEqual(1);
    expect(codec.cpuSecondsPerGiB!.all).toBeGreaterThan(0);
  }
  // The model's projection: to this machine's cores and to 16, every codec with a limit named.
  expect(result.projection!.map((projection) => projection.cores)).toEqual([...new Set([os.availableParallelism(), 16])]);
  for (const projection of result.projection!) {
    expect(projection.codecs.map((codec) => codec.name)).toEqual(codecs.map((codec) => codec.name));
    for (const codec of projection.codecs) expect(codec.projectedMiBps).toBe(codec.ceilingsMiBps[codec.limitedBy!]);
  }

  // Peak RSS and backup time at 1×, 2× and 4× the size, the time per GiB at each, and how it grew.
  expect(result.memory.sizes).toHaveLength(3);
  for (const size of result.memory.sizes) expect(size.peakRssBytes).toBeGreaterThanOrEqual(size.startRssBytes);
  expect(result.memory.growth).toBeGreaterThan(0);
  const scaling = result.scaling!;
  expect(scaling.sizes.map((size) => size.datasetBytes)).toEqual(result.memory.sizes.map((size) => size.datasetBytes));
  expect(scaling.sizeRatio).toBeGreaterThan(3.5);
  for (const size of scaling.sizes) {
    expect(size.secondsPerGiB).toBeCloseTo(size.seconds / (size.datasetBytes / 1024 ** 3), 6);
    expect(size.cpuSeconds).toBeGreaterThan(0);
  }
  expect(scaling.cpuPerGiBGrowth).toBeGreaterThan(0);
  expect(scaling.timeRatio).toBeCloseTo(scaling.sizes[2]!.seconds / scaling.sizes[0]!.seconds, 6);
  expect(scaling.perGiBGrowth).toBeCloseTo(scaling.timeRatio / scaling.sizeRatio, 6);
  expect(result.targets.map((t) => t.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^backup seconds per GiB at /)]));

  // One stall figure per shard and tenant of the data set.
  const shards = COLLECTIONS.reduce((sum, c) => sum + (c.tenants?.length ?? (c.schema.shardingConfig?.desiredCount as number)), 0);
  expect(result.stall.shards).toHaveLength(shards);
  for (const shard of result.stall.shards) expect(shard.writerStallMs).toBeGreaterThanOrEqual(0);
  expect(result.stall.lsmBench.available || typeof result.stall.lsmBench.reason === 'string').toBe(true);

  for (const phase of [result.writeLoad.idle, result.writeLoad.duringBackup]) {
    expect(phase.requests).toBeGreaterThan(0);
    expect(phase).toMatchObject({ errors: expect.any(Number), p50Ms: positive, p99Ms: positive, maxMs: positive });
  }
  expect(result.writeLoad.p99Ratio).toBeGreaterThan(0);

  expect(Object.keys(result.providers).sort()).toEqual(['azure', 'gcs', 's3']);
  for (const provider of Object.values(result.providers)) {
    if (provider.available) expect(provider.ratio).toBeGreaterThan(0);
    else expect(provider.reason).toEqual(expect.any(String));
  }

  // The cluster case: timed on both sides, a writer stall per node (or explained).
  const cluster = result.cluster!;
  if (cluster.available) {
    expect(cluster.backup.cluster).toBeGreaterThan(0);
    expect(cluster.restore.single).toBeGreaterThan(0);
    expect(cluster.stall.map((node) => node.node)).toEqual(['node1', 'node2', 'node3']);
  } else {
    expect(cluster.reason).toEqual(expect.any(String));
  }

  // Every target judged (or explained), and the table shows each verdict.
  // + time growth, stall (2), write latency, cluster (3), incremental (2), encryption (1).
  expect(result.targets.length).toBe(result.backup.length + result.restore.length + codecs.length + result.memory.sizes.length + 1 + 3 + 3 + 2 + 1);
  for (const target of result.targets) {
    if (target.pass === null) expect(target.note).toEqual(expect.any(String));
    else expect(target.value).toEqual(expect.any(Number));
  }
}

function expectBaseline(baseline: BenchResult['backup'][number]['baseline'], ratio: number | null): void {
  if (baseline.available) {
    expect(baseline.seconds).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThan(0);
  } else {
    expect(baseline.reason).toMatch(/unavailable/);
    expect(ratio).toBeNull();
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    // All of it: the notices the tests look for come first, the server's log lines after them (a quick run logs a few hundred KiB).
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
