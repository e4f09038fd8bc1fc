/**
 * What more cores would give, from what each kind of server thread spends per
 * GiB on this machine (issue #14: the targets are for 16 cores, this machine
 * has fewer). A model, not a measurement, and said so wherever it is shown.
 *
 * The server's threads do different shares of a backup and spread
 * differently: the main thread's work cannot spread at all (Amdahl), the
 * chunk workers' work spreads over as many workers as the pool starts
 * (`defaultMaxWorkers`, and no more than there are pipelines), libuv's pool
 * (every codec call and file read and write) over its threads and no more
 * than the cores, and all of it together over the cores. Each gives a
 * ceiling: threads / (CPU seconds per GiB). The lowest is the projection,
 * assuming the per-GiB cost stays what it is here (same CPU speed, no more
 * contention) and work spreads evenly; measured speeds come out below it.
 * Projecting to this machine's own core count, next to the measured speed of
 * the same run, shows how far off the model is.
 */
import { defaultMaxWorkers, recommendedThreadPoolSize } from '@backup/core';
import { MAX_CPU_PERCENTAGE, pipelineCount } from './parallelism.ts';
import type { MainThreadShareFigures } from './results.ts';

/** The machine of issue #14's table. */
export const PROJECTED_CORES = 16;

export type ProjectionLimit = 'mainThread' | 'chunkWorkers' | 'threadPool' | 'cores';

export interface ProjectedCodec {
  /** As in `mainThread.codecs[].name`, e.g. `backup none`. */
  readonly name: string;
  /** The most MiB/s each kind of thread could carry, each thread one busy core; null: it spent nothing (no limit). */
  readonly ceilingsMiBps: Readonly<Record<ProjectionLimit, number | null>>;
  /** The lowest ceiling, and which it is. */
  readonly projectedMiBps: number | null;
  readonly limitedBy: ProjectionLimit | null;
}

export interface CoreProjection {
  readonly cores: number;
  /** At the highest CPUPercentage the engine allows (80 %). */
  readonly pipelines: number;
  /** Chunk workers the engine starts for that many pipelines. */
  readonly chunkWorkers: number;
  /** libuv's pool as the server's bin sizes it. */
  readonly threadPool: number;
  readonly codecs: ProjectedCodec[];
}

export function projectToCores(cores: number, shares: MainThreadShareFigures): CoreProjection {
  const pipelines = pipelineCount(cores, MAX_CPU_PERCENTAGE);
  const chunkWorkers = Math.min(pipelines, defaultMaxWorkers(cores));
  const threadPool = recommendedThreadPoolSize(cores);
  const codecs = shares.codecs.flatMap((codec): ProjectedCodec[] => {
    const perGiB = codec.cpuSecondsPerGiB;
    if (perGiB === undefined) return [];
    const ceilingsMiBps: Record<ProjectionLimit, number | null> = {
      mainThread: ceiling(1, perGiB.main),
      chunkWorkers: ceiling(chunkWorkers, perGiB.chunkWorkers),
      threadPool: ceiling(Math.min(threadPool, cores), perGiB.threadPool),
      cores: ceiling(cores, perGiB.all),
    };
    let limitedBy: ProjectionLimit | null = null;
    for (const [limit, value] of Object.entries(ceilingsMiBps) as [ProjectionLimit, number | null][]) {
      if (value !== null && (limitedBy === null || value < ceilingsMiBps[limitedBy]!)) limitedBy = limit;
    }
    return [{ name: codec.name, ceilingsMiBps, projectedMiBps: limitedBy === null ? null : ceilingsMiBps[limitedBy], limitedBy }];
  });
  return { cores, pipelines, chunkWorkers, threadPool, codecs };
}

/** MiB/s that `threads` busy threads carry at `cpuSecondsPerGiB` each; null when that is 0. */
function ceiling(threads: number, cpuSecondsPerGiB: number): number | null {
  return cpuSecondsPerGiB > 0 ? (threads * 1024) / cpuSecondsPerGiB : null;
}
