/**
 * One benchmark run, start to finish: generate the data set, compare backup
 * and restore speed with the standard tools, measure the write impact and the
 * memory bound, run the provider benchmarks, and judge every target.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectTools } from './baselines.ts';
import type { BackupRun } from './backup-api-client.ts';
import { measureBackupSpeed } from './backup-speed.ts';
import { measureIncremental } from './incremental-bench.ts';
import { measureEncryption } from './encryption-bench.ts';
import { folderSize, generateDataset } from './dataset.ts';
import { runLsmStallBench } from './lsm-stall.ts';
import { machineInfo, versions } from './machine.ts';
import { measureMemoryBound } from './memory-bound.ts';
import type { BenchOptions } from './options.ts';
import { type ParallelismLevel, parallelismLevels } from './parallelism.ts';
import { benchmarkProviders } from './providers.ts';
import { measureRestoreSpeed } from './restore-speed.ts';
import {
  type BackupComparison,
  type BenchResult,
  type MainThreadShareFigures,
  type MemoryAtSize,
  RESULT_SCHEMA_VERSION,
  type RestoreComparison,
  type ScalingFigures,
  type SpeedResult,
  type TargetCheck,
} from './results.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';
import { measureWriteImpact } from './write-impact.ts';
import { type ClusterResult, measureCluster } from './cluster-bench.ts';
import { PROJECTED_CORES, projectToCores } from './core-projection.ts';
import { THREAD_ROLES, type ThreadRole } from './cpu-time.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
export const TARGETS = {
  peakRssBytes: 256 * MiB,
  stallMs: 20,
  p99Ratio: 2,
  /** The server's main thread may spend at most this share of its CPU in a backup or restore: room for 16 cores. */
  mainThreadShare: 0.06,
  /** Backup seconds per GiB at 4× the size / at 1×: linear is 1; a single run each, so some noise is allowed. */
  perGiBGrowth: 1.25,
} as const;

export const METHOD =
  'Our side runs through the real server (packages/server bin, child process) over HTTP to the filesystem provider on tmpfs, ' +
  "timed from the create/restore request until its status reads SUCCESS. Baselines run on the same shard files (the store's " +
  'collections/ folder) with output on tmpfs. Each comparison runs once per round, alternating which side goes first; the best ' +
  "round counts. Ratios are baseline seconds / our seconds (above 1: we are faster). Peak RSS is the server process's (VmHWM, " +
  'reset per backup, and VmRSS polled every 10 ms).';

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchResult> {
  const startedAt = new Date();
  const machine = machineInfo();
  const { tools, levels, timeoutMs, dataPath, backupPath } = await prepareRun(options, log);

  let server: ServerProcess | undefined;
  try {
    // Memory and backup time are measured as the data set grows: sizes up to the main size on the pristine data set first...
    const memoryContext = { dataPath, backupPath, seed: options.seed, level: levels[0]!, timeoutMs, log };
    const sizesUpToMain = options.memorySizesBytes.filter((size) => size <= options.sizeBytes);
    const sizesAboveMain = options.memorySizesBytes.filter((size) => size > options.sizeBytes);
    log(`data set: ${(options.sizeBytes / MiB).toFixed(0)} MiB of objects, seed ${options.seed}, in ${dataPath}`);
    const memorySizes = [];
    if (sizesUpToMain.length > 0) {
      log(`memory bound and time growth: a fresh server's gzip backup at ${describeSizes(sizesUpToMain)}`);
      memorySizes.push(...(await measureMemoryBound({ ...memoryContext, sizesBytes: sizesUpToMain })));
    }
    const { dataset, datasetBytes } = await generateMainDataset(options, dataPath, log);

    server = await startServerProcess({ dataPath, backupPath, log: (line) => log(`  server: ${line}`) });
    const { speed, restore } = await measureSpeed(options, { server, dataPath, backupPath, datasetBytes, levels, tools, timeoutMs, log });

    log('incremental backup after 1 % new writes, against a full one');
    const incremental = await measureIncremental({
      url: server.url,
      backupPath,
      datasetBytes,
      level: levels[0]!,
      seed: options.seed + 104_729,
      timeoutMs,
      log,
    });

    log(`write load: ${options.loadRate} writes/s during a backup, then idle as long (≥ ${options.loadIdleSeconds} s), ${options.rounds} round(s)`);
    const impact = await measureWriteImpact({
      server,
      backupPath,
      level: levels[0]!,
      rate: options.loadRate,
      idleSeconds: options.loadIdleSeconds,
      rounds: options.rounds,
      timeoutMs,
      seed: options.seed + 7919,
      log,
    });
    await server.stop();
    server = undefined;

    log('client-side encryption: the same backup at one pipeline, without and with a key');
    const encryption = await measureEncryption({ dataPath, backupPath, level: levels[0]!, rounds: options.rounds, timeoutMs, log });

    // ...then the larger sizes, grown from it.
    if (sizesAboveMain.length > 0) {
      log(`memory bound and time growth: a fresh server's gzip backup at ${describeSizes(sizesAboveMain)}`);
      memorySizes.push(...(await measureMemoryBound({ ...memoryContext, sizesBytes: sizesAboveMain })));
    }
    await fsp.rm(dataPath, { recursive: true, force: true });

    log("writer stall: the store's own benchmark");
    const lsmBench = await runLsmStallBench({ quick: options.quick });
    log(`  ${lsmBench.available ? `max stall ${lsmBench.maxStallMs ?? '?'} ms` : `unavailable: ${lsmBench.reason}`}`);

    log('provider overhead against the bare SDKs');
    const providers = await benchmarkProviders(options.providerBytes, (line) => log(`  ${line}`));

    log(`cluster: 3 nodes against one node holding the same ${(options.clusterBytes / MiB).toFixed(0)} MiB, to MinIO`);
    const cluster = await runClusterCase(options, log);

    const peaks = memorySizes.map((size) => size.peakRssBytes);
    const stallShards = worstStallPerShard(impact.backups);
    const stallMax = Math.max(0, ...stallShards.map((shard) => shard.writerStallMs));
    const p99Ratio = impact.idle.p99Ms > 0 ? impact.duringBackup.p99Ms / impact.idle.p99Ms : Number.POSITIVE_INFINITY;
    machine.loadAverageAtEnd = os.loadavg()[0] ?? 0;
    const finishedAt = new Date();

    const result: Omit<BenchResult, 'targets'> = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      ...speedFigures({ startedAt, finishedAt, options, machine, tools, dataset, datasetBytes, levels, speed, restore }),
      scaling: scalingFigures(memorySizes, levels[0]!),
      memory: {
        compressionLevel: 'DefaultCompression',
        sizes: memorySizes,
        growth: Math.max(...peaks) / Math.min(...peaks),
        speedRunsPeakRssBytes: speed.peakRssBytes,
        targetBytes: TARGETS.peakRssBytes,
        pass: peaks.every((peak) => peak <= TARGETS.peakRssBytes),
      },
      stall: {
        shards: stallShards,
        maxMs: stallMax,
        allBackupsMaxMs: Math.max(stallMax, ...speed.stallsMs),
        targetMs: TARGETS.stallMs,
        pass: stallMax <= TARGETS.stallMs,
        lsmBench,
      },
      writeLoad: {
        rate: options.loadRate,
        idle: impact.idle,
        duringBackup: impact.duringBackup,
        backupSeconds: impact.backups.reduce((sum, run) => sum + run.seconds, 0) / impact.backups.length,
        rounds: impact.rounds,
        p99Ratio,
        targetRatio: TARGETS.p99Ratio,
        pass: p99Ratio <= TARGETS.p99Ratio && impact.idle.errors === 0 && impact.duringBackup.errors === 0,
      },
      providers,
      cluster,
      incremental,
      encryption,
    };
    return { ...result, targets: targetChecks(result) };
  } finally {
    await server?.stop();
    if (!options.keep) await fsp.rm(options.workDir, { recursive: true, force: true });
  }
}

/**
 * `--speed-only`: the data set, then the backup and restore speed comparisons
 * and the main-thread share, nothing else (what the bundle runs on a
 * many-core machine).
 */
export async function runSpeedBench(options: BenchOptions, log: (line: string) => void): Promise<SpeedResult> {
  const startedAt = new Date();
  const machine = machineInfo();
  const { tools, levels, timeoutMs, dataPath, backupPath } = await prepareRun(options, log);
  let server: ServerProcess | undefined;
  try {
    log(`data set: ${(options.sizeBytes / MiB).toFixed(0)} MiB of objects, seed ${options.seed}, in ${dataPath}`);
    const { dataset, datasetBytes } = await generateMainDataset(options, dataPath, log);
    server = await startServerProcess({ dataPath, backupPath, log: (line) => log(`  server: ${line}`) });
    const { speed, restore } = await measureSpeed(options, { server, dataPath, backupPath, datasetBytes, levels, tools, timeoutMs, log });
    machine.loadAverageAtEnd = os.loadavg()[0] ?? 0;
    const finishedAt = new Date();
    const result: Omit<SpeedResult, 'targets'> = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      speedOnly: true,
      ...speedFigures({ startedAt, finishedAt, options, machine, tools, dataset, datasetBytes, levels, speed, restore }),
    };
    return { ...result, targets: speedChecks(result) };
  } finally {
    await server?.stop();
    if (!options.keep) await fsp.rm(options.workDir, { recursive: true, force: true });
  }
}

/** The tools, the parallelism levels and an empty scratch folder. */
async function prepareRun(options: BenchOptions, log: (line: string) => void) {
  const tools = detectTools();
  for (const [name, tool] of Object.entries(tools)) if (!tool.available) log(`baseline tool ${name} is UNAVAILABLE: ${tool.version}`);
  const levels = parallelismLevels(os.availableParallelism());
  const dataPath = path.join(options.workDir, 'data');
  const backupPath = path.join(options.workDir, 'backups');
  await fsp.rm(options.workDir, { recursive: true, force: true });
  await fsp.mkdir(backupPath, { recursive: true });
  await fsp.mkdir(path.join(options.workDir, 'scratch'), { recursive: true });
  return { tools, levels, timeoutMs: options.timeoutSeconds * 1000, dataPath, backupPath };
}

/** Each shard's largest writer stall over the backups taken under write load. */
function worstStallPerShard(runs: readonly BackupRun[]): BackupRun['shards'] {
  const worst = new Map<string, BackupRun['shards'][number]>();
  for (const shard of runs.flatMap((run) => run.shards)) {
    const key = `${shard.collection}/${shard.shard}`;
    if ((worst.get(key)?.writerStallMs ?? -1) < shard.writerStallMs) worst.set(key, shard);
  }
  return [...worst.values()];
}

async function generateMainDataset(options: BenchOptions, dataPath: string, log: (line: string) => void) {
  const dataset = await generateDataset({ dataPath, bytes: options.sizeBytes, seed: options.seed, log: (line) => log(`  ${line}`) });
  const datasetBytes = (await folderSize(path.join(dataPath, 'collections'))).bytes;
  log(`  ${dataset.objects} objects, ${(datasetBytes / MiB).toFixed(1)} MiB in ${dataset.files} files`);
  return { dataset, datasetBytes };
}

interface SpeedContext {
  readonly server: ServerProcess;
  readonly dataPath: string;
  readonly backupPath: string;
  readonly datasetBytes: number;
  readonly levels: ParallelismLevel[];
  readonly tools: ReturnType<typeof detectTools>;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** The backup speed comparisons, then the restore of one of their backups against `pigz -dc | tar x`. */
async function measureSpeed(options: BenchOptions, context: SpeedContext) {
  const { server, dataPath, backupPath, datasetBytes, levels, tools, timeoutMs, log } = context;
  const scratchPath = path.join(options.workDir, 'scratch');
  log(`backup speed, ${options.rounds} round(s), parallelism ${levels.map((l) => `${l.name}=${l.threads}`).join(', ')}`);
  const speed = await measureBackupSpeed({ server, dataPath, backupPath, scratchPath, datasetBytes, levels, rounds: options.rounds, tools, timeoutMs, log });

  log('restore speed');
  const restore = await measureRestoreSpeed({
    backupPath,
    backupId: speed.restoreSource.backupId,
    archivePath: speed.restoreSource.archivePath,
    archiveBytes: speed.restoreSource.archiveBytes,
    scratchPath,
    datasetBytes,
    levels,
    rounds: options.rounds,
    pigz: tools.pigz,
    timeoutMs,
    log,
  });
  await fsp.rm(path.join(backupPath, speed.restoreSource.backupId), { recursive: true, force: true });
  if (speed.restoreSource.archivePath) await fsp.rm(speed.restoreSource.archivePath, { force: true });
  return { speed, restore };
}

/** What a full run and a speed-only run report alike: when, where, on what, and the speed comparisons. */
function speedFigures(run: {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly options: BenchOptions;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly tools: ReturnType<typeof detectTools>;
  readonly dataset: Awaited<ReturnType<typeof generateDataset>>;
  readonly datasetBytes: number;
  readonly levels: readonly ParallelismLevel[];
  readonly speed: Awaited<ReturnType<typeof measureSpeed>>['speed'];
  readonly restore: Awaited<ReturnType<typeof measureSpeed>>['restore'];
}) {
  const { startedAt, finishedAt, speed, restore } = run;
  const mainThread = mainThreadShares(speed.comparisons, restore, run.datasetBytes);
  // The cores the levels were chosen for first: next to the measured speeds, it shows how far off the model is.
  const projectedCores = [...new Set([run.machine.availableParallelism, PROJECTED_CORES])];
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    options: resultOptions(run.options),
    method: METHOD,
    machine: run.machine,
    versions: versions(run.tools),
    dataset: { ...run.dataset, diskBytes: run.datasetBytes },
    parallelism: [...run.levels],
    backup: speed.comparisons,
    restore,
    mainThread,
    projection: projectedCores.map((cores) => projectToCores(cores, mainThread)),
  };
}

function resultOptions(options: BenchOptions): BenchResult['options'] {
  return {
    quick: options.quick,
    sizeBytes: options.sizeBytes,
    memorySizesBytes: options.memorySizesBytes,
    rounds: options.rounds,
    seed: options.seed,
    providerBytes: options.providerBytes,
  };
}

/**
 * How the backup time grows with the data set, from the memory-bound runs (a
 * fresh server, one gzip backup per size): seconds per GiB at each size, and
 * the largest size's against the smallest's (1 = linear).
 */
export function scalingFigures(sizes: readonly MemoryAtSize[], level: ParallelismLevel): ScalingFigures {
  const bySize = [...sizes].sort((a, b) => a.datasetBytes - b.datasetBytes);
  const rows = bySize.map((size) => ({
    datasetBytes: size.datasetBytes,
    seconds: size.backupSeconds,
    secondsPerGiB: size.backupSeconds / (size.datasetBytes / GiB),
    cpuSeconds: size.backupCpuSeconds,
    cpuSecondsPerGiB: size.backupCpuSeconds / (size.datasetBytes / GiB),
  }));
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const perGiBGrowth = last.secondsPerGiB / first.secondsPerGiB;
  return {
    compressionLevel: 'DefaultCompression',
    pipelines: level.pipelines,
    sizes: rows,
    sizeRatio: last.datasetBytes / first.datasetBytes,
    timeRatio: last.seconds / first.seconds,
    perGiBGrowth,
    cpuPerGiBGrowth: last.cpuSecondsPerGiB / first.cpuSecondsPerGiB,
    target: TARGETS.perGiBGrowth,
    pass: perGiBGrowth <= TARGETS.perGiBGrowth,
  };
}

/** Every target with its value and verdict, in the order the table shows them. */
export function targetChecks(result: Omit<BenchResult, 'targets'>): TargetCheck[] {
  const checks = speedChecks(result);
  for (const size of result.memory.sizes) {
    checks.push({
      name: `peak RSS during a backup of ${(size.datasetBytes / GiB).toFixed(2)} GiB`,
      value: size.peakRssBytes / MiB,
      unit: 'MiB',
      comparison: '<=',
      target: result.memory.targetBytes / MiB,
      pass: size.peakRssBytes <= result.memory.targetBytes,
    });
  }
  const scaling = result.scaling;
  if (scaling) {
    checks.push({
      name: `backup seconds per GiB at ${(scaling.sizes.at(-1)!.datasetBytes / GiB).toFixed(2)} GiB / at ${(scaling.sizes[0]!.datasetBytes / GiB).toFixed(2)} GiB (linear: 1)`,
      value: scaling.perGiBGrowth,
      unit: 'x',
      comparison: '<=',
      target: scaling.target,
      pass: scaling.pass,
    });
  }
  checks.push({
    name: 'writer stall per shard snapshot, backup under write load (max)',
    value: result.stall.maxMs,
    unit: 'ms',
    comparison: '<=',
    target: result.stall.targetMs,
    pass: result.stall.pass,
  });
  const lsm = result.stall.lsmBench;
  checks.push({
    name: 'writer stall per shard snapshot, store benchmark (max)',
    value: lsm.maxStallMs ?? null,
    unit: 'ms',
    comparison: '<=',
    target: result.stall.targetMs,
    pass: lsm.maxStallMs === undefined ? null : lsm.maxStallMs <= result.stall.targetMs,
    ...(lsm.available ? {} : { note: lsm.reason }),
  });
  const load = result.writeLoad;
  const errors = load.idle.errors + load.duringBackup.errors;
  checks.push({
    name: 'p99 write latency during backup / idle',
    value: load.p99Ratio,
    unit: 'x',
    comparison: '<=',
    target: load.targetRatio,
    pass: load.pass,
    ...(errors > 0 ? { note: `${errors} write errors` } : {}),
  });
  checks.push(...clusterChecks(result.cluster));
  const incremental = result.incremental;
  if (incremental) {
    checks.push({
      name: 'incremental backup after 1 % new writes: bytes uploaded / full',
      value: incremental.bytesRatio,
      unit: 'x',
      comparison: '<=',
      target: incremental.bytesTarget,
      pass: incremental.bytesRatio <= incremental.bytesTarget,
    });
    checks.push({
      name: 'incremental backup after 1 % new writes: time / full',
      value: incremental.timeRatio,
      unit: 'x',
      comparison: '<=',
      target: incremental.timeTarget,
      pass: incremental.timeRatio <= incremental.timeTarget,
    });
  }
  const encryption = result.encryption;
  if (encryption) {
    checks.push({
      name: `encrypted backup throughput / plain, ${encryption.pipelines} pipeline(s)`,
      value: encryption.throughputRatio,
      unit: 'x',
      comparison: '>=',
      target: encryption.target,
      pass: encryption.throughputRatio >= encryption.target,
    });
  }
  return checks;
}

/** The targets of the speed comparisons and the main-thread share (all that `--speed-only` judges). */
export function speedChecks(result: Pick<BenchResult, 'backup' | 'restore' | 'mainThread'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const comparison of result.backup) {
    checks.push({
      name: `backup ${comparison.name} vs ${comparison.baseline.label}`,
      value: comparison.ratio,
      unit: 'x',
      comparison: '>=',
      target: comparison.target,
      pass: comparison.pass,
      ...(comparison.baseline.available ? {} : { note: comparison.baseline.reason }),
    });
  }
  for (const comparison of result.restore) {
    checks.push({
      name: `${comparison.name} vs ${comparison.baseline.label}`,
      value: comparison.ratio,
      unit: 'x',
      comparison: '>=',
      target: comparison.target,
      pass: comparison.pass,
      ...(comparison.baseline.available ? {} : { note: comparison.baseline.reason }),
    });
  }
  for (const codec of result.mainThread?.codecs ?? []) {
    checks.push({
      name: `main-thread share of the server's CPU, ${codec.name}`,
      value: codec.share === null ? null : 100 * codec.share,
      unit: '%',
      comparison: '<=',
      target: 100 * (result.mainThread?.targetShare ?? TARGETS.mainThreadShare),
      pass: codec.pass,
      ...(codec.share === null ? { note: 'no CPU time was counted' } : {}),
    });
  }
  return checks;
}

/**
 * The main thread's share of the server's CPU per codec: every backup of that
 * codec (all parallelism levels and rounds) together, and the restore apart;
 * with the CPU per GiB of `datasetBytes` of every thread role.
 */
export function mainThreadShares(backup: readonly BackupComparison[], restore: readonly RestoreComparison[], datasetBytes: number): MainThreadShareFigures {
  interface Group {
    main: number;
    all: number;
    runs: number;
    roles: Record<ThreadRole, number>;
  }
  const groups = new Map<string, Group>();
  const add = (name: string, ours: RestoreComparison['ours']): void => {
    const group = groups.get(name) ?? { main: 0, all: 0, runs: 0, roles: Object.fromEntries(THREAD_ROLES.map((role) => [role, 0])) as Group['roles'] };
    group.main += ours.mainThreadCpuSeconds.reduce((sum, value) => sum + value, 0);
    group.all += ours.allCpuSeconds.reduce((sum, value) => sum + value, 0);
    group.runs += ours.allCpuSeconds.length;
    for (const role of THREAD_ROLES) group.roles[role] += ours.threadCpuSeconds?.[role] ?? 0;
    groups.set(name, group);
  };
  for (const c of backup) add(`backup ${c.name.split('@')[0]}`, c.ours);
  for (const c of restore) add(c.name.split('@')[0]!, c.ours);
  return {
    codecs: [...groups].map(([name, { main, all, runs, roles }]) => {
      const share = all > 0 ? main / all : null;
      const gib = (runs * datasetBytes) / GiB;
      const perGiB = (seconds: number): number => (gib > 0 ? seconds / gib : 0);
      const cpuSecondsPerGiB = {
        ...(Object.fromEntries(THREAD_ROLES.map((role) => [role, perGiB(roles[role])])) as Record<ThreadRole, number>),
        all: perGiB(all),
      };
      return { name, mainCpuSeconds: main, allCpuSeconds: all, share, pass: share === null ? null : share <= TARGETS.mainThreadShare, cpuSecondsPerGiB };
    }),
    targetShare: TARGETS.mainThreadShare,
  };
}

/** The cluster case, logged as it goes; shared by the full run and `--cluster-only`. */
export async function runClusterCase(options: BenchOptions, log: (line: string) => void): Promise<ClusterResult> {
  const cluster = await measureCluster({ bytes: options.clusterBytes, rounds: options.rounds, timeoutMs: options.timeoutSeconds * 1000, log });
  if (!cluster.available) log(`  unavailable: ${cluster.reason}`);
  else {
    log(`  backup: cluster ${cluster.backup.cluster.toFixed(2)} s, one node ${cluster.backup.single.toFixed(2)} s`);
    log(`  restore: cluster ${cluster.restore.cluster.toFixed(2)} s, one node ${cluster.restore.single.toFixed(2)} s`);
    log(`  writer stall per node: ${cluster.stall.map((node) => `${node.node} ${node.maxStallMs.toFixed(2)} ms`).join(', ')}`);
  }
  return cluster;
}

/** The cluster's targets (also shown by `--cluster-only`). */
export function clusterChecks(cluster: ClusterResult | undefined): TargetCheck[] {
  if (cluster === undefined) return [];
  const note = cluster.available ? {} : { note: cluster.reason };
  const run = (name: string, figures: { single: number; overheadSeconds: number; pass: boolean } | undefined): TargetCheck => ({
    name,
    value: figures === undefined ? null : figures.overheadSeconds,
    unit: 's',
    comparison: '<=',
    target: 1,
    pass: figures === undefined ? null : figures.pass,
    ...note,
  });
  return [
    run('cluster backup time − one node alone', cluster.available ? cluster.backup : undefined),
    run('cluster restore time − one node alone', cluster.available ? cluster.restore : undefined),
    {
      name: 'writer stall per shard snapshot, every cluster node (max)',
      value: cluster.available ? Math.max(0, ...cluster.stall.map((node) => node.maxStallMs)) : null,
      unit: 'ms',
      comparison: '<=',
      target: cluster.available ? cluster.stallTargetMs : 20,
      pass: cluster.available ? cluster.stallPass : null,
      ...note,
    },
  ];
}

function describeSizes(sizes: readonly number[]): string {
  return sizes.map((bytes) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`).join(' and ');
}
