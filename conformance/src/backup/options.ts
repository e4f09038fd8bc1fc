import type { BackupEngine, BackupProvider, BackupSource } from '@backup/core';
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
   * Optional: changes a populated store as a busy one changes between two
   * backups (new objects, updates, deletes, and a compaction on some steps);
   * `step` counts from 1 and each step changes something else. With it, the
   * suite proves incremental backup chains (full → incr1 → incr2) per provider.
   */
  mutate?(source: S, step: number): Promise<void>;
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
  /** The store the backups are taken from and restored into, one node at a time (single-node tests; optional if `cluster` is given). */
  readonly source?: BackupHost<S> | undefined;
  /**
   * A multi-node cluster to prove: backups through any node, restores onto a
   * fresh cluster of the same names (each object back on the node that owned
   * it) or other names through `node_mapping`, and a refused incomplete
   * mapping. The cluster's nodes may be other processes.
   */
  readonly cluster?: BackupClusterHost | undefined;
  /** Where the stores' directories go (default: `BACKUP_TEST_SCRATCH`, else /dev/shm, else the OS temp dir). */
  readonly scratchDir?: string | undefined;
  /** Per-test timeout in milliseconds (default 120 000). */
  readonly timeoutMs?: number | undefined;
}

/** The options with a single-node host, as the single-node tests need them. */
export type SingleNodeOptions<S extends BackupSource = BackupSource> = BackupConformanceOptions<S> & { readonly source: BackupHost<S> };

/**
 * The backup API of one node, as the suite drives it: `BackupEngine`
 * satisfies it, and a host whose nodes are other processes implements it
 * over their REST API (`/v1/backups/...`). Refusals reject with an error;
 * where a code is known it is the `BackupError` code (422 → at least
 * `status: 422` on the error).
 */
export type BackupControl = Pick<BackupEngine, 'createBackup' | 'backupStatus' | 'restore' | 'restoreStatus'>;

/**
 * How the suite drives a cluster without knowing it. Every cluster it opens
 * has as many nodes as `nodes`; each is fresh and empty, and every node can
 * reach the providers the suite passes under their names (a host running
 * processes configures them with the same storage its provider factories
 * created, e.g. by remembering each factory's bucket or prefix).
 */
export interface BackupClusterHost<C = unknown> {
  /** The node names of the cluster (two or more). */
  readonly nodes: readonly string[];
  /** Opens a fresh, empty cluster whose nodes are named `nodeNames` (as many as `nodes`), keeping its data below `directory`. */
  open(options: { readonly directory: string; readonly nodeNames: readonly string[]; readonly providers: readonly BackupProvider[] }): Promise<C>;
  /** The backup API of node `node` of the cluster; any node may coordinate. */
  control(cluster: C, node: string): BackupControl;
  /** Fills the cluster with data spread over its nodes (every node must hold some). */
  populate(cluster: C): Promise<void>;
  /** What each node holds, by node name, as plain JSON (like `BackupHost.dump`, per node). */
  dumpByNode(cluster: C): Promise<Readonly<Record<string, unknown>>>;
  close(cluster: C): Promise<void>;
}
