/**
 * Restore speed: our restore of the gzip-default backup into a fresh, empty
 * server against `pigz -dc | tar x` of the pigz archive of the same files.
 * Server start-up is not timed; the restore is, from request to SUCCESS.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { call, runRestore } from './backup-api-client.ts';
import { RESTORE_BASELINE_LABEL, type ToolInfo, runRestoreBaseline } from './baselines.ts';
import { mainThreadFigures, mibps, percent, timing } from './backup-speed.ts';
import { cpuMeter, type ThreadRole } from './cpu-time.ts';
import { COLLECTION_NAMES } from './dataset.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { RestoreComparison } from './results.ts';
import { startServerProcess } from './server-process.ts';

export interface RestoreSpeedContext {
  readonly backupPath: string;
  readonly backupId: string;
  /** The pigz archive of the same files; undefined when pigz is unavailable. */
  readonly archivePath: string | undefined;
  readonly archiveBytes: number;
  readonly scratchPath: string;
  readonly datasetBytes: number;
  readonly levels: readonly ParallelismLevel[];
  readonly rounds: number;
  readonly pigz: ToolInfo;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export async function measureRestoreSpeed(context: RestoreSpeedContext): Promise<RestoreComparison[]> {
  const { levels, log } = context;
  const ours = new Map<string, { seconds: number[]; cpu: number[]; mainCpu: number[]; roleCpu: Record<ThreadRole, number>[] }>();
  const theirs = { seconds: [] as number[], cpu: [] as number[] };
  const target = path.join(context.scratchPath, 'restore-target');

  for (let round = 0; round < context.rounds; round++) {
    for (const level of levels) {
      const oursRun = async (): Promise<void> => {
        await fsp.rm(target, { recursive: true, force: true });
        const server = await startServerProcess({ dataPath: target, backupPath: context.backupPath });
        try {
          const meter = cpuMeter(server.pid);
          const run = await runRestore(server.url, context.backupId, level.cpuPercentage, context.timeoutMs);
          const used = meter.stop();
          await expectCollections(server.url);
          const entry = ours.get(level.name) ?? { seconds: [], cpu: [], mainCpu: [], roleCpu: [] };
          entry.seconds.push(run.seconds);
          entry.cpu.push(used.all);
          entry.mainCpu.push(used.main);
          entry.roleCpu.push(used.byRole);
          ours.set(level.name, entry);
          log(
            `  ours restore@${level.name} round ${round + 1}: ${run.seconds.toFixed(2)} s (${mibps(context.datasetBytes, run.seconds)} MiB/s, main thread ${percent(used.main, used.all)} of ${used.all.toFixed(2)} CPU s)`,
          );
        } finally {
          await server.stop();
          await fsp.rm(target, { recursive: true, force: true });
        }
      };
      // pigz decompresses one stream on one thread whatever -p says: one baseline run serves every level.
      const theirsRun = async (): Promise<void> => {
        if (context.archivePath === undefined || level !== levels[0]) return;
        await fsp.rm(target, { recursive: true, force: true });
        const run = await runRestoreBaseline(context.archivePath, target);
        theirs.seconds.push(run.seconds);
        theirs.cpu.push(run.cpuSeconds);
        log(`  ${RESTORE_BASELINE_LABEL} round ${round + 1}: ${run.seconds.toFixed(2)} s (${mibps(context.datasetBytes, run.seconds)} MiB/s)`);
        await fsp.rm(target, { recursive: true, force: true });
      };
      if (round % 2 === 0) {
        await oursRun();
        await theirsRun();
      } else {
        await theirsRun();
        await oursRun();
      }
    }
  }

  const baselineTiming = theirs.seconds.length > 0 ? timing(theirs.seconds, theirs.cpu, context.datasetBytes) : undefined;
  return levels.map((level) => {
    const entry = ours.get(level.name)!;
    const mine = { ...timing(entry.seconds, entry.cpu, context.datasetBytes), ...mainThreadFigures(entry.mainCpu, entry.cpu, entry.roleCpu) };
    const ratio = baselineTiming ? baselineTiming.seconds / mine.seconds : null;
    const cpuRatio = baselineTiming && mine.cpuSeconds > 0 ? baselineTiming.cpuSeconds / mine.cpuSeconds : null;
    return {
      name: `restore-gzip-default@${level.name}`,
      parallelism: level,
      archiveBytes: context.archiveBytes,
      ours: mine,
      baseline: baselineTiming
        ? { label: RESTORE_BASELINE_LABEL, available: true, ...baselineTiming }
        : { label: RESTORE_BASELINE_LABEL, available: false, reason: context.pigz.version },
      ratio,
      cpuRatio,
      target: 1.0,
      pass: ratio === null ? null : ratio >= 1.0,
    };
  });
}

/** A restore that reports SUCCESS must have brought every collection back. */
async function expectCollections(url: string): Promise<void> {
  const schema = (await call(url, 'GET', '/v1/schema')) as { classes?: { class: string }[] };
  const names = new Set((schema.classes ?? []).map((c) => c.class));
  const missing = COLLECTION_NAMES.filter((name) => !names.has(name));
  if (missing.length > 0) throw new Error(`the restore reported SUCCESS but ${missing.join(', ')} are missing`);
}
