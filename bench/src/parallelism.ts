/**
 * Which parallelism levels to compare at: the pipelines the engine's default
 * CPUPercentage yields on this machine, and all cores. For each level, the
 * CPUPercentage that asks the engine for it.
 */

/** The engine's rule (packages/core/src/engine/request-validation.ts `pipelineCount`). */
export function pipelineCount(cores: number, cpuPercentage: number): number {
  return Math.max(1, Math.round((cores * cpuPercentage) / 100));
}

export const DEFAULT_CPU_PERCENTAGE = 50;
export const MAX_CPU_PERCENTAGE = 80;

export interface ParallelismLevel {
  /** Threads given to pigz / zstd. */
  readonly threads: number;
  /** CPUPercentage sent with our backup. */
  readonly cpuPercentage: number;
  /** Pipelines that CPUPercentage yields (fewer than `threads` only when 80 % of the cores is less than all of them). */
  readonly pipelines: number;
  /** `default` (the engine's default CPUPercentage) or `all-cores`. */
  readonly name: 'default' | 'all-cores';
}

export function parallelismLevels(cores: number): ParallelismLevel[] {
  const levels: ParallelismLevel[] = [
    {
      name: 'default',
      threads: pipelineCount(cores, DEFAULT_CPU_PERCENTAGE),
      cpuPercentage: DEFAULT_CPU_PERCENTAGE,
      pipelines: pipelineCount(cores, DEFAULT_CPU_PERCENTAGE),
    },
  ];
  if (cores !== levels[0]!.threads) {
    let cpuPercentage = MAX_CPU_PERCENTAGE;
    for (let percentage = 1; percentage <= MAX_CPU_PERCENTAGE; percentage++) {
      if (pipelineCount(cores, percentage) >= cores) {
        cpuPercentage = percentage;
        break;
      }
    }
    levels.push({ name: 'all-cores', threads: cores, cpuPercentage, pipelines: pipelineCount(cores, cpuPercentage) });
  }
  return levels;
}
