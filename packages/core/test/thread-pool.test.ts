// libuv's thread pool runs every pipeline's compression: its size must follow
// the cores, and an engine that may run more pipelines than the pool has
// threads must say so at start. (That the server's process really gets the
// threads, and that an operator's UV_THREADPOOL_SIZE stands: server/test/bin.test.ts.)
import { afterEach, describe, expect, test, vi } from 'vitest';
import { recommendedThreadPoolSize, threadPoolSize } from '../src/index.ts';
import { createHarness, type Harness } from './fixtures/harness.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(harnesses.splice(0).map((harness) => harness.cleanup()));
});

describe("libuv's thread pool", () => {
  test("UV_THREADPOOL_SIZE is read by libuv's rules", () => {
    expect(threadPoolSize({})).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '20' })).toBe(20);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: ' 8 threads' })).toBe(8);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '0' })).toBe(1);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: 'many' })).toBe(1);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '-2' })).toBe(1024);
  });

  test("the recommended size is a thread per core plus libuv's 4", () => {
    expect(recommendedThreadPoolSize(16)).toBe(20);
    expect(recommendedThreadPoolSize(2)).toBe(6);
    expect(recommendedThreadPoolSize(2000)).toBe(1024);
  });

  test('an engine that may run more pipelines than the pool has threads warns at start, naming the fix', { timeout: 60_000 }, async () => {
    const start = async (cpuCount: number): Promise<string[]> => {
      const warnings: string[] = [];
      harnesses.push(await createHarness('thread-pool', { cpuCount, logger: { warn: (message) => warnings.push(message) } }));
      return warnings;
    };
    vi.stubEnv('UV_THREADPOOL_SIZE', undefined);
    // 16 cores at the highest CPUPercentage (80) run 13 pipelines; libuv's default is 4 threads.
    const short = await start(16);
    expect(short).toHaveLength(1);
    expect(short[0]).toContain('13 pipelines');
    expect(short[0]).toContain('UV_THREADPOOL_SIZE=20');
    // 2 cores run at most 2 pipelines: the default pool is enough.
    expect(await start(2)).toEqual([]);

    vi.stubEnv('UV_THREADPOOL_SIZE', '20');
    expect(await start(16)).toEqual([]);
  });
});
