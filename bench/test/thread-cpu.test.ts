// The CPU the bench attributes to each kind of server thread, read from /proc
// of a real child process: a busy worker named as the engine names its chunk
// workers must be counted as a chunk worker, not as the main thread.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, test } from 'vitest';
import { cpuMeter, threadRole } from '../src/cpu-time.ts';

test('threadRole: the names Node 24 and the engine give their threads', () => {
  expect(threadRole(100, 100, 'MainThread')).toBe('main');
  expect(threadRole(100, 100, 'node')).toBe('main'); // the pid's own thread, whatever its name
  expect(threadRole(100, 101, 'backup-chunk-wo')).toBe('chunkWorkers'); // the kernel keeps 15 characters
  expect(threadRole(100, 102, 'libuv-worker')).toBe('threadPool');
  expect(threadRole(100, 103, 'V8Worker')).toBe('v8');
  expect(threadRole(100, 104, 'DelayedTaskSche')).toBe('v8');
  expect(threadRole(100, 105, 'SignalInspector')).toBe('other');
});

// A child whose main thread idles while a worker named like a chunk worker spins until its own thread has used 600 ms of CPU.
const CHILD = `
const { Worker } = require('node:worker_threads');
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  const worker = new Worker('while (process.threadCpuUsage().user < 600000) {}', { eval: true, name: 'backup-chunk-worker' });
  worker.once('exit', () => process.stdout.write('done\\n'));
});
setInterval(() => {}, 1000);
`;

test('cpuMeter: a busy chunk worker of a real process is counted as one, the idle main thread barely', async () => {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    child.stdout.setEncoding('utf8');
    const lines = child.stdout[Symbol.asyncIterator]();
    expect(String((await lines.next()).value)).toMatch(/ready/);
    const meter = cpuMeter(child.pid!);
    child.stdin.write('go\n');
    // Read while the worker is still alive: it spins ≥ 600 ms; a dead thread's CPU lands in `other`.
    let used = meter.stop();
    // Up to 10 s: with both cores busy the worker may get a fraction of one.
    for (let i = 0; i < 1000 && used.byRole.chunkWorkers < 0.4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      used = meter.stop();
    }
    expect(used.byRole.chunkWorkers).toBeGreaterThanOrEqual(0.4);
    expect(used.main).toBeLessThan(0.2);
    expect(used.main).toBe(used.byRole.main);
    const attributed = Object.values(used.byRole).reduce((sum, seconds) => sum + seconds, 0);
    expect(attributed).toBeGreaterThanOrEqual(used.all - 1e-9);
  } finally {
    child.kill();
    await once(child, 'exit');
  }
});
