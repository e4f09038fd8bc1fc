// Every provider built again inside the worker threads (ProviderModule.workerEntry),
// against its emulator: the main thread's instance refuses chunk objects, so a
// backup and a restore succeed only if the workers wrote and read every chunk
// with providers of their own, built from the same environment.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { BackupEngine, BackupError, ErrorCode, providersFromEnv, type BackupProvider } from '@backup/core';
import { lsmHost } from '../src/lsm-host.ts';
import { providerEnv, type ProviderName } from '../src/providers.ts';

const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'backup-e2e-workers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CHUNK = /\/chunk-\d+$/;

/** Makes this (main-thread) instance refuse chunk objects; descriptors and status still go through it. */
function refuseChunksHere(provider: BackupProvider): void {
  const refuse = (key: string): Promise<never> => Promise.reject(new BackupError(ErrorCode.NOT_SUPPORTED, `chunk ${key} came to the main thread`));
  const { write, read } = provider;
  Object.assign(provider, {
    write: (key: string, ...rest: unknown[]) => (CHUNK.test(key) ? refuse(key) : (write as (...args: unknown[]) => unknown).call(provider, key, ...rest)),
    read: (key: string, ...rest: unknown[]) => (CHUNK.test(key) ? refuse(key) : (read as (...args: unknown[]) => unknown).call(provider, key, ...rest)),
  });
}

async function node(name: string, env: NodeJS.ProcessEnv, directory: string) {
  const source = await lsmHost.open({ directory: join(directory, 'store'), nodeName: name });
  const providers = await providersFromEnv(env);
  for (const [, provider] of providers) refuseChunksHere(provider);
  const engine = new BackupEngine({ source, providers, stateDir: join(directory, 'state'), workerThreads: 'on', cpuCount: 2, logger: { warn: () => {} } });
  await engine.start();
  const close = async (): Promise<void> => {
    await engine.close();
    await lsmHost.close(source);
  };
  return { source, engine, close };
}

async function finished<T extends { status: string }>(probe: () => Promise<T>): Promise<T> {
  for (;;) {
    const status = await probe();
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(status.status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const backend of ['filesystem', 's3', 'azure', 'gcs'] satisfies ProviderName[]) {
  test(`${backend}: the workers write and read every chunk with a provider of their own`, { timeout: 120_000 }, async () => {
    const root = join(scratch, backend);
    mkdirSync(join(root, 'backups'), { recursive: true });
    const env = providerEnv(inject('emulators'), join(root, 'backups'));
    const id = `workers-${backend}-${Date.now().toString(36)}`;

    const origin = await node('node1', env, join(root, 'origin'));
    try {
      await lsmHost.populate(origin.source);
      const expected = await lsmHost.dump(origin.source);
      // The smallest chunks (2 MB): several of them.
      await origin.engine.createBackup({ backend, id, config: { chunkSizeMb: 2 } });
      const backedUp = await finished(() => origin.engine.backupStatus(backend, id));
      expect(backedUp.status, backedUp.error).toBe('SUCCESS');

      const fresh = await node('node1', env, join(root, 'fresh'));
      try {
        await fresh.engine.restore({ backend, id });
        const restored = await finished(() => fresh.engine.restoreStatus(backend, id));
        expect(restored.status, restored.error).toBe('SUCCESS');
        expect(await lsmHost.dump(fresh.source)).toEqual(expected);
      } finally {
        await fresh.close();
      }
    } finally {
      await origin.close();
    }
  });
}
