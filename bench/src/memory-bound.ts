/**
 * The server's peak RSS during a backup at growing data set sizes: the data
 * set is grown in place (deterministically) to each size, a fresh server is
 * started on it, and one gzip backup is taken while /proc is watched. The
 * same backups, timed, show how the backup time grows (run.ts `scalingFigures`).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { runBackup } from './backup-api-client.ts';
import { cpuMeter } from './cpu-time.ts';
import { folderSize, generateDataset } from './dataset.ts';
import { watchMemory } from './memory.ts';
import type { ParallelismLevel } from './parallelism.ts';
import type { MemoryAtSize } from './results.ts';
import { startServerProcess } from './server-process.ts';

export interface MemoryBoundContext {
  readonly dataPath: string;
  readonly backupPath: string;
  readonly sizesBytes: readonly number[];
  readonly seed: number;
  readonly level: ParallelismLevel;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export async function measureMemoryBound(context: MemoryBoundContext): Promise<MemoryAtSize[]> {
  const results: MemoryAtSize[] = [];
  for (const size of context.sizesBytes) {
    const dataset = await generateDataset({ dataPath: context.dataPath, bytes: size, seed: context.seed, log: (line) => context.log(`  ${line}`) });
    const datasetBytes = (await folderSize(path.join(context.dataPath, 'collections'))).bytes;
    const server = await startServerProcess({ dataPath: context.dataPath, backupPath: context.backupPath });
    const id = `bench-memory-${Math.round(size / 1024 / 1024)}mib`;
    try {
      // Let start-up allocations settle so the start figure is the idle server's.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const memory = watchMemory(server.pid);
      const cpu = cpuMeter(server.pid);
      let peak;
      let run;
      let cpuSeconds;
      try {
        run = await runBackup(
          server.url,
          context.backupPath,
          { id, compressionLevel: 'DefaultCompression', cpuPercentage: context.level.cpuPercentage },
          context.timeoutMs,
        );
      } finally {
        peak = memory.stop();
        cpuSeconds = cpu.stop().all;
      }
      results.push({
        datasetBytes,
        peakRssBytes: peak.peakRssBytes,
        startRssBytes: peak.startRssBytes,
        hwmReset: peak.hwmReset,
        backupSeconds: run.seconds,
        backupCpuSeconds: cpuSeconds,
      });
      context.log(
        `  ${(datasetBytes / 1024 ** 3).toFixed(2)} GiB (${dataset.objects} objects): peak RSS ${(peak.peakRssBytes / 1024 ** 2).toFixed(0)} MiB ` +
          `(idle ${(peak.startRssBytes / 1024 ** 2).toFixed(0)} MiB), backup ${run.seconds.toFixed(1)} s, ${cpuSeconds.toFixed(1)} CPU s`,
      );
    } finally {
      await server.stop();
      await fsp.rm(path.join(context.backupPath, id), { recursive: true, force: true });
    }
  }
  return results;
}
