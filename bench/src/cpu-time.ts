/**
 * CPU time (user + system, all threads) of a process, from /proc/<pid>/stat.
 * On a shared machine wall time depends on what else runs; CPU time says how
 * much work each side did, so both are recorded.
 */
import { readFileSync } from 'node:fs';

/** Linux reports stat times in clock ticks of 1/100 s on every common architecture. */
const TICKS_PER_SECOND = 100;

/** CPU seconds `pid` has used so far; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

function statCpuSeconds(file: string): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may contain spaces) start at state: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds of one thread (`tid`) of `pid`; the main thread's tid is the pid. */
export function threadCpuSeconds(pid: number, tid: number): number | undefined {
  return statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
}

/** CPU seconds of a process: all its threads, and its main (JavaScript) thread alone. */
export interface ProcessCpu {
  readonly all: number;
  readonly main: number;
}

/** Reads both counters of `pid` as close together as two reads allow; undefined once it is gone. */
export function processCpu(pid: number): ProcessCpu | undefined {
  const main = threadCpuSeconds(pid, pid);
  const all = processCpuSeconds(pid);
  return main === undefined || all === undefined ? undefined : { all, main };
}

/**
 * Counts the CPU a piece of work costs a process, split into its main thread
 * and all threads: `stop()` gives the difference since `start`. The main
 * thread's share is what bounds scaling with cores (Amdahl): work the main
 * thread does cannot spread.
 */
export function cpuMeter(pid: number): { stop(): ProcessCpu } {
  const before = processCpu(pid) ?? { all: 0, main: 0 };
  return {
    stop() {
      const after = processCpu(pid) ?? before;
      return { all: after.all - before.all, main: after.main - before.main };
    },
  };
}

/** Parses the children line of bash's `times` builtin (`0m6.678s 0m0.158s`): user + system seconds. */
export function parseBashTimes(line: string): number | undefined {
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return undefined;
  return parts.reduce((sum, [, minutes, seconds]) => sum + Number(minutes) * 60 + Number(seconds), 0);
}
