/**
 * Peak resident memory of another process, from /proc (Linux). Two sources,
 * the larger wins: the kernel's own high-water mark (VmHWM, reset at the
 * start of a measurement through /proc/<pid>/clear_refs where allowed) and a
 * poll of VmRSS, which also works where the reset is not permitted.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryPeak {
  /** Largest resident set seen during the measurement, in bytes. */
  readonly peakRssBytes: number;
  /** Resident set when the measurement started, in bytes. */
  readonly startRssBytes: number;
  /** Whether the kernel's high-water mark could be reset (else only the poll counted). */
  readonly hwmReset: boolean;
  readonly samples: number;
}

const POLL_MS = 10;

/** Reads a `kB` field of /proc/<pid>/status, in bytes; undefined once the process is gone. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Watches `pid` from now until `stop()`. */
export function watchMemory(pid: number): { stop(): MemoryPeak } {
  let hwmReset = false;
  try {
    // "5" resets the peak RSS to the current RSS (Linux ≥ 4.0, needs ptrace rights over the process).
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    hwmReset = true;
  } catch {
    hwmReset = false;
  }
  const startRssBytes = procStatusBytes(pid, 'VmRSS') ?? 0;
  let peak = startRssBytes;
  let samples = 0;
  const timer = setInterval(() => {
    const rss = procStatusBytes(pid, 'VmRSS');
    if (rss === undefined) return;
    samples++;
    if (rss > peak) peak = rss;
  }, POLL_MS);
  return {
    stop(): MemoryPeak {
      clearInterval(timer);
      const hwm = hwmReset ? (procStatusBytes(pid, 'VmHWM') ?? 0) : 0;
      return { peakRssBytes: Math.max(peak, hwm), startRssBytes, hwmReset, samples };
    },
  };
}
