/**
 * What a backup costs the writers: the same steady write load during a
 * backup and on the idle server, and the writer stall of every shard's
 * snapshot as the store reports it in the backup's descriptor.
 *
 * A p99 of one short run is mostly noise on a small machine (on 2 cores the
 * idle p99 of 1000 writes ranged from 4 to 15 ms between runs, from one
 * memtable flush or collector pause more or less), so each round measures
 * the load during a backup and then idle for as long as that backup took
 * (the same number of writes on both sides), and the percentiles are taken
 * over every round's writes together.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type BackupRun, runBackup } from './backup-api-client.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { ServerProcess } from './server-process.ts';
import { type LatencyStats, latencyStats, runWriteLoad } from './write-load.ts';

export interface WriteImpactContext {
  readonly server: ServerProcess;
  readonly backupPath: string;
  readonly level: ParallelismLevel;
  readonly rate: number;
  /** Each idle phase lasts as long as the round's backup, and at least this long. */
  readonly idleSeconds: number;
  readonly rounds: number;
  readonly timeoutMs: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export interface WriteImpactRound {
  readonly idleP99Ms: number;
  readonly duringP99Ms: number;
  readonly backupSeconds: number;
}

export interface WriteImpact {
  /** Every round's idle writes together. */
  readonly idle: LatencyStats;
  /** Every round's writes during the backups together. */
  readonly duringBackup: LatencyStats;
  readonly rounds: WriteImpactRound[];
  readonly backups: BackupRun[];
}

interface Phase {
  readonly latenciesMs: number[];
  errors: number;
  seconds: number;
  readonly sampleErrors: string[];
}

export async function measureWriteImpact(context: WriteImpactContext): Promise<WriteImpact> {
  const { server, rate, log } = context;
  // Warm-up, not counted: connections, JIT and the first memtable allocations would otherwise land in the idle p99.
  await runWriteLoad({ url: server.url, rate, maxMs: 1000, maxRequests: rate, seed: context.seed + 2 });
  const idle: Phase = { latenciesMs: [], errors: 0, seconds: 0, sampleErrors: [] };
  const during: Phase = { latenciesMs: [], errors: 0, seconds: 0, sampleErrors: [] };
  const rounds: WriteImpactRound[] = [];
  const backups: BackupRun[] = [];
  for (let round = 0; round < context.rounds; round++) {
    const seed = context.seed + 10 * (round + 1);
    const id = `bench-under-write-load-${round + 1}`;
    const backup = runBackup(
      server.url,
      context.backupPath,
      { id, compressionLevel: 'DefaultCompression', cpuPercentage: context.level.cpuPercentage },
      context.timeoutMs,
    );
    // The load runs exactly as long as the backup (bounded by the timeout and a request cap).
    const duringRound = await measurePhase(during, {
      url: server.url,
      rate,
      maxMs: context.timeoutMs,
      maxRequests: Math.ceil((rate * context.timeoutMs) / 1000),
      until: backup,
      seed,
    });
    const run = await backup;
    backups.push(run);
    await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
    const idleSeconds = Math.max(context.idleSeconds, run.seconds);
    const idleRound = await measurePhase(idle, {
      url: server.url,
      rate,
      maxMs: idleSeconds * 1000,
      maxRequests: Math.ceil(rate * idleSeconds),
      seed: seed + 1,
    });
    rounds.push({ idleP99Ms: idleRound.p99Ms, duringP99Ms: duringRound.p99Ms, backupSeconds: run.seconds });
    log(`  round ${round + 1}: during the backup (${run.seconds.toFixed(1)} s) ${describe(duringRound)}; idle ${describe(idleRound)}`);
  }
  return { idle: phaseStats(idle), duringBackup: phaseStats(during), rounds, backups };
}

/** Runs one load, adding its writes to `phase`; returns this run's own figures. */
async function measurePhase(phase: Phase, options: Parameters<typeof runWriteLoad>[0]): Promise<LatencyStats> {
  const stats = await runWriteLoad({ ...options, latenciesMs: phase.latenciesMs });
  phase.errors += stats.errors;
  phase.seconds += stats.seconds;
  phase.sampleErrors.push(...stats.sampleErrors);
  return stats;
}

function phaseStats(phase: Phase): LatencyStats {
  return latencyStats(phase.latenciesMs, phase.errors, phase.seconds, phase.sampleErrors);
}

function describe(stats: LatencyStats): string {
  return `${stats.requests} writes, p50 ${stats.p50Ms.toFixed(1)} ms, p99 ${stats.p99Ms.toFixed(1)} ms, ${stats.errors} errors`;
}
