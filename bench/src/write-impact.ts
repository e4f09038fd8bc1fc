/**
 * What a backup costs the writers: the same steady write load on an idle
 * server and during a backup, and the writer stall of every shard's snapshot
 * as the store reports it in the backup's descriptor.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type BackupRun, runBackup } from './backup-api-client.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { ServerProcess } from './server-process.ts';
import { type LatencyStats, runWriteLoad } from './write-load.ts';

export interface WriteImpactContext {
  readonly server: ServerProcess;
  readonly backupPath: string;
  readonly level: ParallelismLevel;
  readonly rate: number;
  readonly idleSeconds: number;
  readonly timeoutMs: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export interface WriteImpact {
  readonly idle: LatencyStats;
  readonly duringBackup: LatencyStats;
  readonly backup: BackupRun;
}

export async function measureWriteImpact(context: WriteImpactContext): Promise<WriteImpact> {
  const { server, rate, log } = context;
  // Warm-up, not counted: connections, JIT and the first memtable allocations would otherwise land in the idle p99.
  await runWriteLoad({ url: server.url, rate, maxMs: 1000, maxRequests: rate, seed: context.seed + 2 });
  const idle = await runWriteLoad({
    url: server.url,
    rate,
    maxMs: context.idleSeconds * 1000,
    maxRequests: Math.ceil(rate * context.idleSeconds),
    seed: context.seed,
  });
  log(`  idle: ${idle.requests} writes, p50 ${idle.p50Ms.toFixed(1)} ms, p99 ${idle.p99Ms.toFixed(1)} ms, ${idle.errors} errors`);

  const id = 'bench-under-write-load';
  const backup = runBackup(
    server.url,
    context.backupPath,
    { id, compressionLevel: 'DefaultCompression', cpuPercentage: context.level.cpuPercentage },
    context.timeoutMs,
  );
  // The load runs exactly as long as the backup (bounded by the timeout and a request cap).
  const duringBackup = await runWriteLoad({
    url: server.url,
    rate,
    maxMs: context.timeoutMs,
    maxRequests: Math.ceil((rate * context.timeoutMs) / 1000),
    until: backup,
    seed: context.seed + 1,
  });
  const run = await backup;
  log(
    `  during backup (${run.seconds.toFixed(1)} s): ${duringBackup.requests} writes, p50 ${duringBackup.p50Ms.toFixed(1)} ms, p99 ${duringBackup.p99Ms.toFixed(1)} ms, ${duringBackup.errors} errors`,
  );
  await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
  return { idle, duringBackup, backup: run };
}
