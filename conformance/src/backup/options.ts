import type { BackupProvider, BackupSource } from '@backup/core';
import type { TestFunction } from '../options.ts';

/**
 * How the suite drives a store without knowing it: open a fresh one, fill
 * it, and dump it for comparison. `@backup/conformance` never imports a store;
 * the host (the store's own tests, or a test of an application) provides this.
 */
export interface BackupHost<S extends BackupSource = BackupSource> {
  /**
   * Opens a new, empty store as node `nodeName`, keeping its data in
   * `directory` (which exists, is empty, and is removed by the suite after
   * `close`). The store is the engine's `BackupSource`.
   */
  open(options: { readonly directory: string; readonly nodeName: string }): Promise<S>;
  /**
   * Fills the store with the data set the suite backs up: collections with
   * objects, vectors and tenants, a few MiB in all (the suite backs it up
   * with 2 MB chunks, so a few MiB make several chunks).
   */
  populate(source: S): Promise<void>;
  /**
   * Everything a restore must bring back (schemas, tenants and their
   * statuses, every object with its properties and vector), as plain JSON.
   * Two stores holding the same data must dump deep-equal, whatever their
   * node names; the suite compares dumps object by object.
   */
  dump(source: S): Promise<unknown>;
  close(source: S): Promise<void>;
}

/** Returns a provider whose storage no other instance sees (a fresh bucket, prefix or directory). */
export type ProviderFactory = () => BackupProvider | Promise<BackupProvider>;

export interface BackupConformanceOptions<S extends BackupSource = BackupSource> {
  /** Registers one test: vitest's or jest's `test`, or compatible. */
  readonly test: TestFunction;
  /**
   * The providers to prove, by a label used in test names (e.g. `s3`). Each
   * gets a round trip and the integrity tests; with two or more, every
   * ordered pair also gets a copy from one to the other.
   */
  readonly providers: Readonly<Record<string, ProviderFactory>>;
  /** The store the backups are taken from and restored into. */
  readonly source: BackupHost<S>;
  /** Where the stores' directories go (default: `BACKUP_TEST_SCRATCH`, else /dev/shm, else the OS temp dir). */
  readonly scratchDir?: string | undefined;
  /** Per-test timeout in milliseconds (default 120 000). */
  readonly timeoutMs?: number | undefined;
}
