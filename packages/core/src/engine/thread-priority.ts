/**
 * Lowers the CPU priority of the calling thread alone (Linux: every thread is
 * a task with its own nice value, set through `setpriority` on its id). A
 * chunk worker calls it so that the per-byte work of a backup or restore
 * yields to the server's main thread, which answers requests: with cores to
 * spare nothing changes, on a busy machine the requests go first.
 *
 * Best effort: elsewhere than Linux, or where it is refused, the thread keeps
 * its priority and `false` says so.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value of chunk workers: a lower priority than the default 0, above the idle 19. */
export const WORKER_NICE = 10;

export function lowerThisThreadPriority(nice: number = WORKER_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // `/proc/thread-self` links to `<pid>/task/<tid>` of the thread reading it.
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return false;
    // Never raises it: a process already run at a lower priority keeps it (raising would need privileges).
    if (getPriority(threadId) < nice) setPriority(threadId, nice);
    return true;
  } catch {
    return false;
  }
}
