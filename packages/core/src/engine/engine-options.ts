import type { ProvidersInput } from '../config/provider-registry.ts';
import type { Location } from '../provider.ts';
import type { BackupSource } from '../source.ts';
import type { BackupEvents } from './events.ts';
import type { Participant } from './participant.ts';
import type { RetryPolicy } from './retry.ts';
import type { BackupStatusReport, RestoreStatusReport } from './types.ts';
import type { WorkerThreadsMode } from './chunk-worker-pool.ts';

/**
 * The nodes of a cluster, for multi-node backups. A single node needs none:
 * it is a cluster of one with a `LocalParticipant`.
 */
export interface Cluster {
  /** Every node name, this one included. */
  readonly nodes: readonly string[];
  /** The participant for `node`; undefined if it is unknown. */
  participant(node: string): Participant | undefined;
}

/** Where the engine reports what it does not throw (recovery, cleanup failures). */
export interface EngineLogger {
  warn(message: string): void;
  info?(message: string): void;
}

export interface BackupEngineOptions {
  /** The host store. */
  readonly source: BackupSource;
  /** Enabled providers: a registry (see `providersFromEnv`), `{ name: provider }` or a list. */
  readonly providers: ProvidersInput;
  /** Directory for the engine's small crash journal, e.g. `<data>/.backup-state`. Created if missing. */
  readonly stateDir: string;
  /** This node's name; default `source.nodeName`. */
  readonly nodeName?: string | undefined;
  /** Cores to size `CPUPercentage` against; default `os.availableParallelism()`. */
  readonly cpuCount?: number | undefined;
  /** Other nodes; default: this node alone. */
  readonly cluster?: Cluster | undefined;
  /** How long phase 1 may take per node (default 30 s). */
  readonly canCommitTimeoutMs?: number | undefined;
  readonly logger?: EngineLogger | undefined;
  /**
   * Retries of transient provider failures: chunk uploads and reads, status
   * writes, cleanup (see `RetryPolicy`; server: `BACKUP_RETRY_*`).
   */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** How long a cancel waits for the operation to end before it answers (default 900 ms). */
  readonly cancelWaitMs?: number | undefined;
  /**
   * Where the engine reports what it does (`BackupEvent`s); default a new
   * bus, `engine.events`. Share one with a `LocalParticipant` built for a
   * cluster so its chunk retries land here too.
   */
  readonly events?: BackupEvents | undefined;
  /**
   * Applied to every error message the engine records (statuses,
   * descriptors, events), e.g. `createRedactor()`; default: none.
   */
  readonly redact?: ((text: string) => string) | undefined;
  /**
   * Client-side encryption (opt-in): the user's 32-byte key, e.g. from
   * `encryptionKeyFromEnv()`. Every backup's chunks are then encrypted
   * (AES-256-GCM); restoring an encrypted backup needs it.
   */
  readonly encryptionKey?: Buffer | undefined;
  /** Per-byte work of backups and restores in worker threads: `auto` (default, or `BACKUP_WORKER_THREADS`), `on`, `off`. */
  readonly workerThreads?: WorkerThreadsMode | undefined;
}

/** Options of `waitFor`. */
export interface WaitForOptions {
  readonly location?: Location | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The longest wait between two status reads (default 500 ms); a status change wakes it sooner. */
  readonly intervalMs?: number | undefined;
  /** Called with every status read, the last (final) one included. */
  readonly onProgress?: ((report: BackupStatusReport | RestoreStatusReport) => void) | undefined;
}
