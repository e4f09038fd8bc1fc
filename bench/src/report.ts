/** The terminal table of a {@link BenchResult}. */
import type { ClusterResult } from './cluster-bench.ts';
import type { CoreProjection, ProjectionLimit } from './core-projection.ts';
import type { BaselineFigures, BenchResult, SpeedResult } from './results.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export function formatReport(result: BenchResult): string {
  const rows = speedRows(result);
  for (const size of result.memory.sizes) {
    rows.push([
      `peak RSS, backup of ${(size.datasetBytes / GiB).toFixed(2)} GiB`,
      `${(size.peakRssBytes / MiB).toFixed(0)} MiB`,
      `idle ${(size.startRssBytes / MiB).toFixed(0)} MiB`,
      '',
      `≤ ${(result.memory.targetBytes / MiB).toFixed(0)} MiB`,
      verdict(size.peakRssBytes <= result.memory.targetBytes),
    ]);
  }
  rows.push(...scalingRows(result.scaling));

  rows.push([
    `writer stall per shard (max of ${result.stall.shards.length})`,
    `${result.stall.maxMs.toFixed(1)} ms`,
    '',
    '',
    `≤ ${result.stall.targetMs} ms`,
    verdict(result.stall.pass),
  ]);
  const lsm = result.stall.lsmBench;
  rows.push([
    'writer stall per shard, store benchmark (max)',
    lsm.maxStallMs === undefined ? 'unavailable' : `${lsm.maxStallMs.toFixed(1)} ms`,
    lsm.available ? `${lsm.options?.shards} shards, snapshots back to back` : (lsm.reason ?? ''),
    '',
    `≤ ${result.stall.targetMs} ms`,
    verdict(lsm.maxStallMs === undefined ? null : lsm.maxStallMs <= result.stall.targetMs),
  ]);
  const load = result.writeLoad;
  rows.push([
    `write p50 / p99 / max, idle (${load.idle.requests} writes)`,
    `${load.idle.p50Ms.toFixed(1)} / ${load.idle.p99Ms.toFixed(1)} / ${load.idle.maxMs.toFixed(1)} ms`,
    `${load.idle.errors} errors`,
    '',
    '',
    '',
  ]);
  rows.push([
    `write p50 / p99 / max, during backup (${load.duringBackup.requests}${load.rounds && load.rounds.length > 1 ? `, ${load.rounds.length} rounds: p99 ${load.rounds.map((r) => `${r.duringP99Ms.toFixed(1)}/${r.idleP99Ms.toFixed(1)}`).join(', ')} ms during/idle` : ''})`,
    `${load.duringBackup.p50Ms.toFixed(1)} / ${load.duringBackup.p99Ms.toFixed(1)} / ${load.duringBackup.maxMs.toFixed(1)} ms`,
    `${load.duringBackup.errors} errors`,
    `p99 ${ratioCell(load.p99Ratio)}`,
    `≤ ${load.targetRatio.toFixed(1)}×, 0 err`,
    verdict(load.pass),
  ]);
  for (const [name, p] of Object.entries(result.providers)) {
    rows.push(
      p.available
        ? [
            `provider ${name} upload (${p.emulator})`,
            `${p.providerMiBps!.toFixed(1)} MiB/s`,
            `bare SDK ${p.bareMiBps!.toFixed(1)} MiB/s`,
            ratioCell(p.ratio!),
            '',
            '',
          ]
        : [`provider ${name} upload`, 'unavailable', p.reason ?? '', '', '', ''],
    );
  }
  rows.push(...clusterRows(result.cluster));
  const incremental = result.incremental;
  if (incremental) {
    rows.push([
      'incremental after 1 % new writes: bytes uploaded',
      `${incremental.incremental.storedBytes} B`,
      `full ${incremental.full.storedBytes} B`,
      `${(incremental.bytesRatio * 100).toFixed(2)} %`,
      `≤ ${(incremental.bytesTarget * 100).toFixed(0)} %`,
      verdict(incremental.bytesRatio <= incremental.bytesTarget),
    ]);
    rows.push([
      'incremental after 1 % new writes: time',
      `${incremental.incremental.seconds.toFixed(2)} s`,
      `full ${incremental.full.seconds.toFixed(2)} s`,
      `${(incremental.timeRatio * 100).toFixed(1)} %`,
      `≤ ${(incremental.timeTarget * 100).toFixed(0)} %`,
      verdict(incremental.timeRatio <= incremental.timeTarget),
    ]);
  }
  const encryption = result.encryption;
  if (encryption) {
    rows.push([
      `encrypted backup, ${encryption.pipelines} pipeline(s)`,
      `${encryption.encryptedSeconds.toFixed(2)} s`,
      `plain ${encryption.plainSeconds.toFixed(2)} s`,
      ratioCell(encryption.throughputRatio),
      `≥ ${encryption.target.toFixed(2)}×`,
      verdict(encryption.throughputRatio >= encryption.target),
    ]);
  }
  return withHeaderAndVerdicts(result, rows);
}

/** The table of `--speed-only`. */
export function formatSpeedReport(result: SpeedResult): string {
  return withHeaderAndVerdicts(result, speedRows(result));
}

function withHeaderAndVerdicts(result: SpeedResult | BenchResult, rows: string[][]): string {
  const { machine, dataset } = result;
  const lines: string[] = [];
  lines.push(
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ` +
      `server thread pool ${machine.serverThreadPool ?? 4}, ` +
      `load average ${machine.loadAverageAtStart.toFixed(1)} → ${(machine.loadAverageAtEnd ?? 0).toFixed(1)}; node ${result.versions.node}, ` +
      `${result.versions.tools.pigz}, ${result.versions.tools.zstd}`,
  );
  lines.push(
    `Data set: ${(dataset.diskBytes / MiB).toFixed(1)} MiB of shard files (${dataset.objects} objects, ${dataset.files} files, ` +
      `${dataset.collections.length} collections, seed ${dataset.seed}); best of ${result.options.rounds} round(s), alternating.`,
  );
  lines.push('');
  lines.push(...table(rows));
  lines.push('ratio = baseline seconds / our seconds (wall clock, best round); CPU-time ratio = baseline CPU / our CPU (less work is > 1).');
  lines.push(...projectionLines(result.projection));

  const passed = result.targets.filter((t) => t.pass === true).length;
  const missed = result.targets.filter((t) => t.pass === false).length;
  const unmeasured = result.targets.filter((t) => t.pass === null).length;
  lines.push('');
  lines.push(`Targets: ${passed} PASS, ${missed} MISS${unmeasured > 0 ? `, ${unmeasured} not measured (a tool or benchmark was unavailable)` : ''}.`);
  return lines.join('\n');
}

/** Backup and restore against the baselines, and the main thread's share of the server's CPU. */
function speedRows(result: SpeedResult | BenchResult): string[][] {
  const rows: string[][] = [['', 'ours', 'baseline', 'ratio', 'target', '', 'CPU-time ratio']];
  for (const c of result.backup) {
    rows.push([
      `backup ${c.name} (${c.ours.pipelines} pipeline${c.ours.pipelines === 1 ? '' : 's'})`,
      `${c.ours.MiBps.toFixed(1)} MiB/s`,
      baselineCell(c.baseline),
      ratioCell(c.ratio),
      `≥ ${c.target.toFixed(1)}×`,
      verdict(c.pass),
      ratioCell(c.cpuRatio),
    ]);
  }
  for (const c of result.restore) {
    rows.push([
      `${c.name} (${c.parallelism.pipelines} pipeline${c.parallelism.pipelines === 1 ? '' : 's'})`,
      `${c.ours.MiBps.toFixed(1)} MiB/s`,
      baselineCell(c.baseline),
      ratioCell(c.ratio),
      `≥ ${c.target.toFixed(1)}×`,
      verdict(c.pass),
      ratioCell(c.cpuRatio),
    ]);
  }
  for (const codec of result.mainThread?.codecs ?? []) {
    rows.push([
      `main thread's share of server CPU, ${codec.name}`,
      codec.share === null ? 'n/a' : `${(100 * codec.share).toFixed(1)} %`,
      `${codec.mainCpuSeconds.toFixed(2)} of ${codec.allCpuSeconds.toFixed(2)} CPU s`,
      '',
      `≤ ${(100 * result.mainThread!.targetShare).toFixed(0)} %`,
      verdict(codec.pass),
    ]);
  }
  return rows;
}

const LIMIT_NAMES: Record<ProjectionLimit, string> = {
  mainThread: 'main thread',
  chunkWorkers: 'chunk workers',
  threadPool: 'thread pool',
  cores: 'cores',
};

/**
 * What the CPU per GiB of each kind of server thread allows on more cores: a
 * model, so apart from the measured table, with the machine's own core count
 * first (compare it with the measured all-cores speeds above).
 */
function projectionLines(projections: readonly CoreProjection[] | undefined): string[] {
  const limits = Object.keys(LIMIT_NAMES) as ProjectionLimit[];
  const rows: string[][] = [];
  for (const projection of projections ?? []) {
    for (const codec of projection.codecs) {
      rows.push([
        `${projection.cores} cores (${projection.pipelines} pipelines, ${projection.chunkWorkers} workers, pool ${projection.threadPool}), ${codec.name}`,
        codec.projectedMiBps === null ? 'n/a' : `${codec.projectedMiBps.toFixed(0)} MiB/s`,
        codec.limitedBy === null ? 'none' : LIMIT_NAMES[codec.limitedBy],
        ...limits.map((limit) => codec.ceilingsMiBps[limit]?.toFixed(0) ?? 'none'),
      ]);
    }
  }
  if (rows.length === 0) return [];
  const header = [
    'projection from the CPU per GiB of each kind of server thread here',
    'projected',
    'limited by',
    ...limits.map((limit) => LIMIT_NAMES[limit]),
  ];
  return [
    '',
    ...table([header, ...rows]),
    'A model, not a measurement: each ceiling (MiB/s) = its threads, one core each, / their CPU seconds per GiB in this run; the lowest is the projection.',
  ];
}

/** Backup time at each size, seconds per GiB, and how it grew against the size. */
function scalingRows(scaling: BenchResult['scaling']): string[][] {
  if (scaling === undefined) return [];
  const rows = scaling.sizes.map((size) => [
    `backup time, ${(size.datasetBytes / GiB).toFixed(2)} GiB (${scaling.pipelines} pipeline${scaling.pipelines === 1 ? '' : 's'}, gzip)`,
    `${size.seconds.toFixed(2)} s`,
    `${size.secondsPerGiB.toFixed(1)} s/GiB`,
    '',
    '',
    '',
    `${size.cpuSecondsPerGiB.toFixed(1)} CPU s/GiB`,
  ]);
  rows.push([
    `backup time growth, ${scaling.sizeRatio.toFixed(1)}× the data`,
    `${scaling.timeRatio.toFixed(2)}× the time`,
    'per GiB, largest / smallest',
    ratioCell(scaling.perGiBGrowth),
    `≤ ${scaling.target.toFixed(2)}×`,
    verdict(scaling.pass),
    `CPU ${ratioCell(scaling.cpuPerGiBGrowth)}`,
  ]);
  return rows;
}

/** The cluster case: 3 nodes against one node holding the same data, and each node's writer stall. */
export function clusterRows(cluster: ClusterResult | undefined): string[][] {
  if (cluster === undefined) return [];
  if (!cluster.available) return [['cluster (3 nodes vs 1)', 'unavailable', cluster.reason, '', '', '']];
  const size = `${(cluster.bytes / MiB).toFixed(0)} MiB`;
  const run = (what: string, figures: { single: number; cluster: number; overheadSeconds: number; pass: boolean }): string[] => [
    `cluster ${what}, ${size} (3 nodes / 1 node)`,
    `${figures.cluster.toFixed(2)} s`,
    `1 node ${figures.single.toFixed(2)} s`,
    `${figures.overheadSeconds >= 0 ? '+' : ''}${figures.overheadSeconds.toFixed(2)} s`,
    `≤ +${cluster.coordinationTargetSeconds} s`,
    verdict(figures.pass),
  ];
  const rows = [run('backup', cluster.backup), run('restore', cluster.restore)];
  for (const node of cluster.stall) {
    rows.push([
      `cluster writer stall, ${node.node}`,
      `${node.maxStallMs.toFixed(2)} ms`,
      `writes max ${node.maxWriteMs.toFixed(1)} ms (${node.writes}, ${node.errors} err)`,
      '',
      `≤ ${cluster.stallTargetMs} ms`,
      verdict(node.maxStallMs <= cluster.stallTargetMs),
    ]);
  }
  return rows;
}

/** The table of `--cluster-only`. */
export function formatClusterReport(cluster: ClusterResult): string {
  return table([['', 'ours', 'compared with', 'difference', 'target', ''], ...clusterRows(cluster)]).join('\n');
}

function baselineCell(baseline: BaselineFigures): string {
  return baseline.available ? `${baseline.label} ${baseline.MiBps!.toFixed(1)} MiB/s` : `${baseline.label}: UNAVAILABLE`;
}

function ratioCell(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`;
}

function verdict(pass: boolean | null): string {
  return pass === null ? 'n/a' : pass ? 'PASS' : 'MISS';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}
