import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupEngine, isFinalStatus, type BackupProvider, type BackupSource } from '@backup/core';
import type { SingleNodeOptions, BackupHost } from './options.ts';

/** The backup settings of the suite: small chunks, so a few MiB of data make several. */
export const CHUNK_SIZE_MB = 2;

/** A store with an engine on it, the way a host application runs one. */
export interface RunningNode<S extends BackupSource = BackupSource> {
  readonly source: S;
  readonly engine: BackupEngine;
}

/**
 * Everything one test opens (stores, engines, providers, directories),
 * closed in reverse order when the test ends, however it ends.
 */
export class TestWorld<S extends BackupSource = BackupSource> {
  readonly #host: BackupHost<S>;
  readonly #scratch: string | undefined;
  readonly #cleanups: (() => Promise<unknown>)[] = [];
  #dir: string | undefined;

  constructor(options: SingleNodeOptions<S>) {
    this.#host = options.source;
    this.#scratch = options.scratchDir;
  }

  /** Calls `factory` and closes the provider at the end of the test. */
  async provider(factory: () => BackupProvider | Promise<BackupProvider>): Promise<BackupProvider> {
    const provider = await factory();
    this.#cleanups.push(() => provider.close());
    return provider;
  }

  /** Opens a fresh store as `nodeName` with an engine that knows `providers`. */
  async node(nodeName: string, providers: readonly BackupProvider[]): Promise<RunningNode<S>> {
    const dir = await this.#directory();
    const directory = await mkdtemp(join(dir, `${nodeName}-`));
    const source = await this.#host.open({ directory: join(directory, 'store'), nodeName });
    this.#cleanups.push(() => this.#host.close(source));
    const engine = new BackupEngine({
      source,
      providers: Object.fromEntries(providers.map((provider) => [provider.name, provider])),
      stateDir: join(directory, 'backup-state'),
      cpuCount: 2,
      logger: { warn: () => {} },
    });
    await engine.start();
    this.#cleanups.push(() => engine.close());
    return { source, engine };
  }

  /** Closes everything the test opened, newest first; the first failure is thrown after all ran. */
  async close(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    if (failure) throw failure.error;
  }

  async #directory(): Promise<string> {
    if (this.#dir) return this.#dir;
    const base = this.#scratch ?? process.env.BACKUP_TEST_SCRATCH ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
    await mkdir(base, { recursive: true });
    this.#dir = await mkdtemp(join(base, 'backup-conformance-'));
    return this.#dir;
  }
}

/** Registers a test that gets a fresh `TestWorld` and always closes it. */
export function worldTest<S extends BackupSource>(options: SingleNodeOptions<S>, name: string, body: (world: TestWorld<S>) => Promise<void>): void {
  options.test(
    name,
    async () => {
      const world = new TestWorld(options);
      try {
        await body(world);
      } finally {
        await world.close();
      }
    },
    options.timeoutMs ?? 120_000,
  );
}

/** Calls `probe` every 25 ms until it returns a value; fails naming `what` after `timeoutMs`. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A fresh backup id, so runs against shared storage never meet. */
export function backupId(stem: string): string {
  return `${stem}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Backs up everything `node` holds through `provider`; asserts it ends SUCCESS. */
export async function backUp(node: RunningNode, provider: BackupProvider, id: string, incrementalBaseBackupId?: string): Promise<void> {
  await node.engine.createBackup({
    backend: provider.name,
    id,
    config: { chunkSizeMb: CHUNK_SIZE_MB },
    ...(incrementalBaseBackupId ? { incrementalBaseBackupId } : {}),
  });
  const report = await poll(`backup ${id} through ${provider.name}`, async () => {
    const status = await node.engine.backupStatus(provider.name, id);
    return isFinalStatus(status.status) ? status : undefined;
  });
  assert.equal(report.status, 'SUCCESS', `backup ${id} through ${provider.name} ended ${report.status}: ${report.error}`);
}

/** Restores backup `id` from `provider` onto `node`; asserts it ends SUCCESS. */
export async function restore(node: RunningNode, provider: BackupProvider, id: string, nodeMapping?: Readonly<Record<string, string>>): Promise<void> {
  await node.engine.restore({ backend: provider.name, id, ...(nodeMapping ? { nodeMapping } : {}) });
  const report = await poll(`restore of ${id} from ${provider.name}`, async () => {
    const status = await node.engine.restoreStatus(provider.name, id);
    return isFinalStatus(status.status) ? status : undefined;
  });
  assert.equal(report.status, 'SUCCESS', `restore of ${id} from ${provider.name} ended ${report.status}: ${report.error}`);
}

/** A populated store on node `node1`, backed up through `provider`, with the dump a restore must reproduce. */
export async function backedUpStore<S extends BackupSource>(
  world: TestWorld<S>,
  host: BackupHost<S>,
  provider: BackupProvider,
  stem: string,
): Promise<{ readonly id: string; readonly expected: unknown }> {
  const origin = await world.node('node1', [provider]);
  await host.populate(origin.source);
  const expected = await host.dump(origin.source);
  const id = backupId(stem);
  await backUp(origin, provider, id);
  return { id, expected };
}
