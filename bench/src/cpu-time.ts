/**
 * CPU time (user + system, all threads) of a process, from /proc/<pid>/stat.
 * On a shared machine wall time depends on what else runs; CPU time says how
 * much work each side did, so both are recorded.
 */
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * What a thread of the server does, from the name Node 24 gives it
 * (`/proc/<pid>/task/<tid>/comm`, 15 characters at most). Each role scales
 * differently with cores: the main thread not at all, the chunk workers up to
 * their cap, libuv's pool up to its size.
 */
export type ThreadRole = 'main' | 'chunkWorkers' | 'threadPool' | 'v8' | 'other';

export const THREAD_ROLES: readonly ThreadRole[] = ['main', 'chunkWorkers', 'threadPool', 'v8', 'other'];

/** The role of thread `tid` of `pid` named `comm`. */
export function threadRole(pid: number, tid: number, comm: string): ThreadRole {
  if (tid === pid) return 'main';
  // The engine names its workers `backup-chunk-worker`; the kernel keeps the first 15 characters.
  if (comm.startsWith('backup-chunk')) return 'chunkWorkers';
  // libuv's pool: every zlib/zstd call and every file read and write.
  if (comm === 'libuv-worker') return 'threadPool';
  // V8's platform threads: concurrent garbage collection and compilation.
  if (comm === 'V8Worker' || comm.startsWith('DelayedTask')) return 'v8';
  return 'other';
}

/** CPU seconds of a process: all its threads, its main (JavaScript) thread alone, and by role. */
export interface ProcessCpu {
  readonly all: number;
  readonly main: number;
  /**
   * By {@link ThreadRole}. `other` also holds the CPU of threads that ended
   * between two readings (whatever `all` counts that no living thread does).
   */
  readonly byRole: Readonly<Record<ThreadRole, number>>;
}

interface ThreadReading {
  readonly role: ThreadRole;
  readonly seconds: number;
}

/** Every living thread of `pid` with its role and CPU seconds so far. */
function readThreads(pid: number): Map<number, ThreadReading> {
  const threads = new Map<number, ThreadReading>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads; // gone
  }
  for (const entry of tids) {
    const tid = Number(entry);
    const seconds = threadCpuSeconds(pid, tid);
    if (seconds === undefined) continue; // ended while we read
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    threads.set(tid, { role: threadRole(pid, tid, comm), seconds });
  }
  return threads;
}

/**
 * Counts the CPU a piece of work costs a process, split into its main thread,
 * all threads and each role: `stop()` gives the difference since the start.
 * The main thread's share is what bounds scaling with cores (Amdahl): work the
 * main thread does cannot spread; the other roles spread up to their thread count.
 */
export function cpuMeter(pid: number): { stop(): ProcessCpu } {
  const beforeThreads = readThreads(pid);
  const beforeAll = processCpuSeconds(pid) ?? 0;
  return {
    stop() {
      const afterThreads = readThreads(pid);
      const all = Math.max(0, (processCpuSeconds(pid) ?? beforeAll) - beforeAll);
      const byRole = Object.fromEntries(THREAD_ROLES.map((role) => [role, 0])) as Record<ThreadRole, number>;
      for (const [tid, after] of afterThreads) {
        byRole[after.role] += Math.max(0, after.seconds - (beforeThreads.get(tid)?.seconds ?? 0));
      }
      const attributed = THREAD_ROLES.reduce((sum, role) => sum + byRole[role], 0);
      byRole.other += Math.max(0, all - attributed);
      return { all, main: byRole.main, byRole };
    },
  };
}

/** Parses the children line of bash's `times` builtin (`0m6.678s 0m0.158s`): user + system seconds. */
export function parseBashTimes(line: string): number | undefined {
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return undefined;
  return parts.reduce((sum, [, minutes, seconds]) => sum + Number(minutes) * 60 + Number(seconds), 0);
}
