/**
 * libuv's thread pool runs every zlib call of a backup or restore, and every
 * file read and write, for the whole process: worker threads share it. It
 * has 4 threads unless `UV_THREADPOOL_SIZE` says otherwise when it is first
 * used, so however many pipelines run, 4 of them compress at a time (issue
 * #14: on 16 cores every codec stopped near 380 MiB/s). A process that runs
 * backups sets it to {@link recommendedThreadPoolSize} before it starts
 * (the server's bin does); the engine warns at start when it is smaller than
 * the pipelines a backup may run ({@link threadPoolShortfall}).
 */
import { availableParallelism } from 'node:os';

/** libuv's size when `UV_THREADPOOL_SIZE` is not set. */
const DEFAULT_THREAD_POOL_SIZE = 4;
/** libuv's largest pool. */
const MAX_THREAD_POOL_SIZE = 1024;

/**
 * The size libuv gives its pool in this environment, by libuv's own rules
 * (`atoi` into an unsigned int: 0 or no number means 1, a negative number or
 * anything above 1024 means 1024).
 */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.UV_THREADPOOL_SIZE;
  if (value === undefined) return DEFAULT_THREAD_POOL_SIZE;
  const parsed = Number.parseInt(value.trim(), 10);
  if (Number.isNaN(parsed) || parsed === 0) return 1;
  return parsed < 0 ? MAX_THREAD_POOL_SIZE : Math.min(parsed, MAX_THREAD_POOL_SIZE);
}

/** A thread per core for the codecs, plus libuv's default 4 for everything else the process does. */
export function recommendedThreadPoolSize(cores: number = availableParallelism()): number {
  return Math.min(cores + DEFAULT_THREAD_POOL_SIZE, MAX_THREAD_POOL_SIZE);
}

/**
 * A warning when the pool has fewer threads than `pipelines` (the most a
 * backup or restore may run here), else undefined.
 */
export function threadPoolShortfall(pipelines: number, cores: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const size = threadPoolSize(env);
  if (pipelines <= size) return undefined;
  return (
    `libuv's thread pool has ${size} threads (UV_THREADPOOL_SIZE), fewer than the ${pipelines} pipelines a backup may run here: ` +
    `compression and file I/O will use at most ${size} cores. Start the process with UV_THREADPOOL_SIZE=${recommendedThreadPoolSize(cores)}`
  );
}
