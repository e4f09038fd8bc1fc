import type { Location } from '../provider.ts';
import type { CompressionSpec } from '../format/compression-spec.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';

/** What the coordinator asks one node to back up. */
export interface NodeBackupRequest {
  readonly id: string;
  /** Backend name; each node resolves it to its own provider instance. */
  readonly backend: string;
  readonly location: Location;
  /** Collections to back up; a node backs up its local shards of each. */
  readonly collections: readonly string[];
  readonly chunkSizeBytes: number;
  readonly compression: CompressionSpec;
  readonly cpuPercentage: number;
  readonly startedAt: string;
  /** Incremental: files the base (SUCCESS, same backend and location) already holds are referenced, not uploaded. */
  readonly incrementalBaseBackupId?: string | undefined;
}

/** What the coordinator asks one node to restore. */
export interface NodeRestoreRequest {
  readonly id: string;
  readonly backend: string;
  readonly location: Location;
  /** The node name the backup recorded; differs from the participant's with a node mapping. */
  readonly sourceNode: string;
  readonly collections: readonly string[];
  readonly cpuPercentage: number;
  /** The restore's whole `node_mapping` (backup node → node here), for sources that record shard placement. */
  readonly nodeMapping?: Readonly<Record<string, string>> | undefined;
}

/** How much one node has to move: file bytes before compression, files and chunks. */
export interface ProgressTotals {
  readonly bytes: number;
  readonly files: number;
  readonly chunks: number;
}

/** Progress callbacks both directions share. */
export interface TransferProgress {
  /** Called with file bytes as they are packed or restored (before compression). */
  readonly onBytes?: ((bytes: number) => void) | undefined;
  /** Called once, as soon as the node knows its totals (after its snapshots; from the descriptor). */
  readonly onPlanned?: ((totals: ProgressTotals) => void) | undefined;
  /** Called as files and chunks are done (their bytes came through `onBytes`). */
  readonly onDone?: ((done: { readonly files: number; readonly chunks: number }) => void) | undefined;
}

export interface BackupProgress extends TransferProgress {
  /** Called once every collection is snapshotted and uploads begin. */
  readonly onTransferring?: (() => void) | undefined;
}

export interface RestoreProgress extends TransferProgress {
  /** Called with the staging directories as soon as they exist, so a crash can clean them up. */
  readonly onStaging?: ((directories: readonly string[]) => void | Promise<void>) | undefined;
}

/**
 * One node's side of a backup or restore, as the coordinator sees it. The
 * coordinator of a single node talks to a `LocalParticipant`; a cluster talks
 * to the other nodes through `HttpParticipant` (or its own transport). Two
 * phases: `canCommitBackup` with a timeout, then `commitBackup`; when any node
 * refuses, fails, times out or the backup is cancelled, the coordinator sends
 * `abortBackup` to every node. Cancellation of a running call also travels as
 * its `signal`.
 */
export interface Participant {
  readonly node: string;

  /** Phase 1: can this node back up `request.collections`? Rejects (any code) to refuse. */
  canCommitBackup(request: NodeBackupRequest, options: { signal: AbortSignal }): Promise<void>;
  /**
   * Phase 2: snapshot, upload every chunk, then write `<id>/<node>/backup.json`.
   * Resolves with that descriptor. On failure or abort, releases snapshots and
   * leaves no chunk of its own behind.
   */
  commitBackup(request: NodeBackupRequest, options: { signal: AbortSignal } & BackupProgress): Promise<NodeDescriptor>;
  /**
   * Ends backup `id` on this node whatever its phase: stops a running commit
   * (snapshots released, this node's objects removed) and forgets an accepted
   * one. Idempotent, and a no-op for an id this node never heard of.
   */
  abortBackup(id: string): Promise<void>;

  /** Fail-fast checks before anything is downloaded: backup complete and readable, collections absent here. */
  canRestore(request: NodeRestoreRequest, options: { signal: AbortSignal }): Promise<void>;
  /** Downloads, verifies and stages this node's part; installs nothing. Cleans up on failure or abort. */
  stageRestore(request: NodeRestoreRequest, options: { signal: AbortSignal } & RestoreProgress): Promise<void>;
  /** Installs what `stageRestore` staged. */
  finalizeRestore(id: string): Promise<void>;
  /** Removes what was staged and not installed. Idempotent. */
  abortRestore(id: string): Promise<void>;
}
