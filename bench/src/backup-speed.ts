/**
 * Backup speed: our backup (through the server, to the filesystem provider on
 * tmpfs) against `tar | pigz`, `tar | zstd` and `tar` at comparable levels and
 * equal parallelism, on the same files. Each round runs every pair once,
 * alternating which side goes first; the best of the rounds counts.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { runBackup } from './backup-api-client.ts';
import { type BaselineTool, type ToolInfo, compressBaseline, runCompressBaseline } from './baselines.ts';
import { cpuMeter, THREAD_ROLES, type ThreadRole } from './cpu-time.ts';
import { watchMemory } from './memory.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { BackupComparison, MainThreadFigures, Timing } from './results.ts';
import type { ServerProcess } from './server-process.ts';

/** Our compression levels and the baseline level each is compared with. */
export const BACKUP_CONFIGS = [
  { key: 'gzip-default', compressionLevel: 'DefaultCompression', codec: 'gzip', level: 6, target: 1.0 },
  { key: 'gzip-best-speed', compressionLevel: 'BestSpeed', codec: 'gzip', level: 1, target: 1.0 },
  { key: 'zstd-default', compressionLevel: 'ZstdDefaultCompression', codec: 'zstd', level: 3, target: 1.0 },
  { key: 'none', compressionLevel: 'NoCompression', codec: 'none', level: 0, target: 0.8 },
] as const;

export interface BackupSpeedContext {
  readonly server: ServerProcess;
  readonly dataPath: string;
  readonly backupPath: string;
  /** Folder for baseline archives. */
  readonly scratchPath: string;
  readonly datasetBytes: number;
  readonly levels: readonly ParallelismLevel[];
  readonly rounds: number;
  readonly tools: Record<BaselineTool, ToolInfo>;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface BackupSpeedResult {
  readonly comparisons: BackupComparison[];
  /** Kept for the restore comparison: our gzip-default backup id and the pigz -6 archive (if pigz exists). */
  readonly restoreSource: { backupId: string; archivePath: string | undefined; archiveBytes: number };
  /** Every per-shard writer stall seen, and the largest peak RSS of any backup. */
  readonly stallsMs: number[];
  readonly peakRssBytes: number;
}

interface Accumulator {
  ours: number[];
  oursCpu: number[];
  /** The server's main-thread CPU seconds of each of our runs. */
  oursMainCpu: number[];
  /** The server's CPU seconds by thread role of each of our runs. */
  oursRoleCpu: Record<ThreadRole, number>[];
  baseline: number[];
  baselineCpu: number[];
  storedBytes: number;
  pipelines: number;
  peakRssBytes: number;
  outputBytes: number;
}

export async function measureBackupSpeed(context: BackupSpeedContext): Promise<BackupSpeedResult> {
  const { levels, tools, log } = context;
  const acc = new Map<string, Accumulator>();
  const stallsMs: number[] = [];
  let peakRssBytes = 0;
  let restoreBackupId: string | undefined;
  let restoreArchive: string | undefined;
  let restoreArchiveBytes = 0;

  for (let round = 0; round < context.rounds; round++) {
    for (const config of BACKUP_CONFIGS) {
      for (const level of levels) {
        const name = `${config.key}@${level.name}`;
        const entry = acc.get(name) ?? {
          ours: [],
          oursCpu: [],
          oursMainCpu: [],
          oursRoleCpu: [],
          baseline: [],
          baselineCpu: [],
          storedBytes: 0,
          pipelines: 0,
          peakRssBytes: 0,
          outputBytes: 0,
        };
        acc.set(name, entry);
        const baseline = compressBaseline(config.codec, config.level, level.threads);
        const keepForRestore = config.key === 'gzip-default' && level.name === 'default' && round === 0;

        const ours = async (): Promise<void> => {
          const id = `bench-${config.key}-${level.name}-r${round}`;
          const memory = watchMemory(context.server.pid);
          const cpu = cpuMeter(context.server.pid);
          const run = await runBackup(
            context.server.url,
            context.backupPath,
            { id, compressionLevel: config.compressionLevel, cpuPercentage: level.cpuPercentage },
            context.timeoutMs,
          ).finally(() => {
            const peak = memory.stop().peakRssBytes;
            entry.peakRssBytes = Math.max(entry.peakRssBytes, peak);
            peakRssBytes = Math.max(peakRssBytes, peak);
          });
          entry.ours.push(run.seconds);
          const used = cpu.stop();
          entry.oursCpu.push(used.all);
          entry.oursMainCpu.push(used.main);
          entry.oursRoleCpu.push(used.byRole);
          entry.storedBytes = run.storedBytes;
          entry.pipelines = run.pipelines;
          stallsMs.push(...run.shards.map((shard) => shard.writerStallMs));
          log(
            `  ours ${name} round ${round + 1}: ${run.seconds.toFixed(2)} s (${mibps(context.datasetBytes, run.seconds)} MiB/s, ${run.pipelines} pipelines, ` +
              `main thread ${percent(used.main, used.all)} of ${used.all.toFixed(2)} CPU s)`,
          );
          if (keepForRestore) restoreBackupId = id;
          else await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
        };
        const theirs = async (): Promise<void> => {
          if (!tools[baseline.tool].available) return;
          const out = path.join(
            context.scratchPath,
            `${config.key}-${level.name}-r${round}.tar${config.codec === 'gzip' ? '.gz' : config.codec === 'zstd' ? '.zst' : ''}`,
          );
          const run = await runCompressBaseline(baseline, context.dataPath, out);
          entry.baseline.push(run.seconds);
          entry.baselineCpu.push(run.cpuSeconds);
          entry.outputBytes = run.outputBytes;
          log(`  ${baseline.label} round ${round + 1}: ${run.seconds.toFixed(2)} s (${mibps(context.datasetBytes, run.seconds)} MiB/s)`);
          if (keepForRestore) {
            restoreArchive = out;
            restoreArchiveBytes = run.outputBytes;
          } else await fsp.rm(out, { force: true });
        };
        // Alternate who goes first, so neither side always gets the warmer (or the more contended) slot.
        if (round % 2 === 0) {
          await ours();
          await theirs();
        } else {
          await theirs();
          await ours();
        }
      }
    }
  }

  const comparisons: BackupComparison[] = [];
  for (const config of BACKUP_CONFIGS) {
    for (const level of levels) {
      const name = `${config.key}@${level.name}`;
      const entry = acc.get(name)!;
      const baseline = compressBaseline(config.codec, config.level, level.threads);
      const tool = tools[baseline.tool];
      const ours = timing(entry.ours, entry.oursCpu, context.datasetBytes);
      const theirs = tool.available ? timing(entry.baseline, entry.baselineCpu, context.datasetBytes) : undefined;
      const ratio = theirs ? theirs.seconds / ours.seconds : null;
      const cpuRatio = theirs && ours.cpuSeconds > 0 ? theirs.cpuSeconds / ours.cpuSeconds : null;
      comparisons.push({
        name,
        compressionLevel: config.compressionLevel,
        codec: config.codec,
        level: config.level,
        parallelism: level,
        ours: {
          ...ours,
          ...mainThreadFigures(entry.oursMainCpu, entry.oursCpu, entry.oursRoleCpu),
          storedBytes: entry.storedBytes,
          pipelines: entry.pipelines,
          peakRssBytes: entry.peakRssBytes,
        },
        baseline: theirs
          ? { label: baseline.label, available: true, ...theirs, outputBytes: entry.outputBytes }
          : { label: baseline.label, available: false, reason: tool.version },
        ratio,
        cpuRatio,
        target: config.target,
        pass: ratio === null ? null : ratio >= config.target,
      });
    }
  }
  return {
    comparisons,
    restoreSource: { backupId: restoreBackupId!, archivePath: restoreArchive, archiveBytes: restoreArchiveBytes },
    stallsMs,
    peakRssBytes,
  };
}

/** The best of `seconds` (and of `cpuSeconds`), as a {@link Timing} over `bytes`. */
export function timing(seconds: readonly number[], cpuSeconds: readonly number[], bytes: number): Timing {
  const best = Math.min(...seconds);
  return {
    seconds: best,
    MiBps: bytes / 1024 / 1024 / best,
    allSeconds: [...seconds],
    cpuSeconds: Math.min(...cpuSeconds),
    allCpuSeconds: [...cpuSeconds],
  };
}

/**
 * The server's main-thread CPU over all rounds, its share of all the
 * server's CPU in them (summed, so one round's 1/100 s tick resolution weighs
 * less), and the CPU of each thread role summed over the rounds.
 */
export function mainThreadFigures(
  mainCpu: readonly number[],
  allCpu: readonly number[],
  roleCpu: readonly Readonly<Record<ThreadRole, number>>[],
): MainThreadFigures {
  const main = mainCpu.reduce((sum, value) => sum + value, 0);
  const all = allCpu.reduce((sum, value) => sum + value, 0);
  const threadCpuSeconds = Object.fromEntries(THREAD_ROLES.map((role) => [role, roleCpu.reduce((sum, round) => sum + round[role], 0)])) as Record<
    ThreadRole,
    number
  >;
  return { mainThreadCpuSeconds: [...mainCpu], mainThreadShare: all > 0 ? main / all : null, threadCpuSeconds };
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a';
}

export function mibps(bytes: number, seconds: number): string {
  return (bytes / 1024 / 1024 / seconds).toFixed(1);
}
