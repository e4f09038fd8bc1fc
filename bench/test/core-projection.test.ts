// The model behind "projected on 16 cores": each kind of thread's ceiling is
// its thread count over its CPU seconds per GiB, and the lowest one wins.
import { expect, test } from 'vitest';
import { projectToCores } from '../src/core-projection.ts';
import type { MainThreadShareFigures } from '../src/results.ts';

const shares = (cpuSecondsPerGiB: { main: number; chunkWorkers: number; threadPool: number; all: number }): MainThreadShareFigures => ({
  codecs: [
    {
      name: 'backup none',
      mainCpuSeconds: 1,
      allCpuSeconds: 10,
      share: 0.1,
      pass: false,
      cpuSecondsPerGiB: { ...cpuSecondsPerGiB, v8: 0, other: 0 },
    },
  ],
  targetShare: 0.06,
});

test('16 cores: 13 pipelines, 8 chunk workers, a pool of 20 of which 16 can run; the lowest ceiling is the projection', () => {
  const projection = projectToCores(16, shares({ main: 0.5, chunkWorkers: 4, threadPool: 10, all: 20 }));
  expect(projection).toMatchObject({ cores: 16, pipelines: 13, chunkWorkers: 8, threadPool: 20 });
  const [codec] = projection.codecs;
  expect(codec!.ceilingsMiBps.mainThread).toBeCloseTo(1024 / 0.5, 6); // one thread
  expect(codec!.ceilingsMiBps.chunkWorkers).toBeCloseTo((8 * 1024) / 4, 6);
  expect(codec!.ceilingsMiBps.threadPool).toBeCloseTo((16 * 1024) / 10, 6); // 20 threads, 16 cores
  expect(codec!.ceilingsMiBps.cores).toBeCloseTo((16 * 1024) / 20, 6);
  expect(codec!.limitedBy).toBe('cores');
  expect(codec!.projectedMiBps).toBeCloseTo(819.2, 6);
});

test('the main thread limits when its CPU per GiB is high enough; a role that spent nothing sets no limit', () => {
  const [codec] = projectToCores(16, shares({ main: 2, chunkWorkers: 0, threadPool: 1, all: 4 })).codecs;
  expect(codec!.ceilingsMiBps.chunkWorkers).toBeNull();
  expect(codec!.limitedBy).toBe('mainThread');
  expect(codec!.projectedMiBps).toBeCloseTo(512, 6);
});

test('2 cores: never more workers than pipelines', () => {
  expect(projectToCores(2, shares({ main: 1, chunkWorkers: 1, threadPool: 1, all: 1 }))).toMatchObject({ pipelines: 2, chunkWorkers: 2, threadPool: 6 });
});
