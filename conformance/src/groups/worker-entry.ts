import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { assertSameBytes, readAll } from '../helpers.ts';
import { resolveOptions, type ProviderConformanceOptions } from '../options.ts';

/**
 * For a provider module that declares `workerEntry`: the engine's worker
 * threads import it, build their own provider with `fromEnv` from the same
 * environment, and write and read chunks with it. This proves the promise
 * the declaration makes: a thread of its own reaches the same storage from
 * the environment alone, and two such instances work at once.
 */
export function workerEntryTests(input: ProviderConformanceOptions): void {
  const options = resolveOptions(input);
  const module = options.module;
  if (module?.backupModule.workerEntry === undefined) return;
  const { backupModule } = module;

  options.test(
    'workerEntry: two worker threads build the provider from the environment; what they write, this thread reads, and back',
    async () => {
      const env = await module.env();
      const here = backupModule.fromEnv(env);
      try {
        const fromHere = patterned(200 * 1024 + 3, 7);
        await here.write('backup-w/node1/Article/chunk-0', [fromHere]);
        const keys = ['backup-w/node1/Article/chunk-1', 'backup-w/node1/Article/chunk-2'];
        const results = await Promise.all(keys.map((key, i) => inWorker(backupModule.workerEntry as string, env, key, 300 * 1024 + i, i + 1)));
        for (const [i, result] of results.entries()) {
          assert.equal(result.name, backupModule.name, `the module at workerEntry exports backupModule "${result.name}", not "${backupModule.name}"`);
          assert.equal(result.readBack, fromHere.length, `worker ${i + 1} read ${result.readBack} of the ${fromHere.length} bytes this thread wrote`);
          assertSameBytes(await readAll(await here.read(keys[i] as string)), patterned(300 * 1024 + i, i + 1), `what worker ${i + 1} wrote`);
        }
      } finally {
        await here.close();
      }
    },
    options.timeoutMs,
  );
}

function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return bytes;
}

interface WorkerResult {
  readonly name: string;
  readonly readBack: number;
}

// CommonJS for `eval`: imports the entry, builds the provider, writes `key` (the same
// pattern as `patterned`), reads this thread's object back, and reports. The condition
// `@backup/source` lets this project's own tests run providers from TypeScript sources;
// other packages do not use it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { registerHooks } = require('node:module');
registerHooks({ resolve: (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, '@backup/source'] }) });
(async () => {
  const { entry, env, key, size, seed } = workerData;
  const { backupModule } = await import(entry);
  const provider = backupModule.fromEnv(env);
  try {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
    await provider.write(key, [bytes]);
    let readBack = 0;
    for await (const piece of await provider.read('backup-w/node1/Article/chunk-0')) readBack += piece.length;
    parentPort.postMessage({ name: backupModule.name, readBack });
  } finally {
    await provider.close();
  }
})();
`;

async function inWorker(entry: string, env: NodeJS.ProcessEnv, key: string, size: number, seed: number): Promise<WorkerResult> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { entry, env: { ...env }, key, size, seed } });
  try {
    return await new Promise<WorkerResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker thread exited (code ${code}) before it reported`)));
    });
  } finally {
    await worker.terminate();
  }
}
