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
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Parses the children line of bash's `times` builtin (`0m6.678s 0m0.158s`): user + system seconds. */
export function parseBashTimes(line: string): number | undefined {
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return undefined;
  return parts.reduce((sum, [, minutes, seconds]) => sum + Number(minutes) * 60 + Number(seconds), 0);
}
