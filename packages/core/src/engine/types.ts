import type { Location } from '../provider.ts';
import type { CompressionLevel } from '../format/compression-spec.ts';
import type { BackupStatus } from '../format/status.ts';

/** Options of a backup, as the API's `config` object carries them. */
export interface BackupConfig {
  /** Share of the node's cores to use, 1-80 (default 50): sets how many chunks are packed at once. */
  readonly cpuPercentage?: number | undefined;
  /** Target chunk size in MB of data before compression, 2-512 (default 128). */
  readonly chunkSizeMb?: number | undefined;
  /** Default `DefaultCompression` (gzip level 6). */
  readonly compressionLevel?: CompressionLevel | undefined;
  /** Bucket or container override for this backup. */
  readonly bucket?: string | undefined;
  /** Root path override for this backup. */
  readonly path?: string | undefined;
  /** Service endpoint override (`host[:port]`) for this backup; providers without `endpointOverride` refuse it. */
  readonly endpoint?: string | undefined;
}

export interface CreateBackupRequest {
  /** Provider name, with or without the `backup-` prefix. */
  readonly backend: string;
  /** `^[a-z0-9_-]+$` */
  readonly id: string;
  /** Collection names or `*`/`?` patterns; at most one of include and exclude. */
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  readonly config?: BackupConfig | undefined;
  /**
   * Make an incremental backup on top of this one (SUCCESS, same backend and
   * location): files it already holds are referenced, not uploaded. The new
   * backup restores on its own by its id. REST: `incremental_base_backup_id`.
   */
  readonly incrementalBaseBackupId?: string | undefined;
}

/** The answer to a create request (the API's create response). */
export interface CreateBackupResult {
  readonly id: string;
  readonly backend: string;
  readonly classes: string[];
  /** The backup's home, e.g. `s3://bucket/prefix/<id>` or `/abs/root/<id>`. */
  readonly path: string;
  readonly bucket: string;
  readonly status: BackupStatus;
  readonly error: string;
}

/** A shard left out of a backup (e.g. a FROZEN tenant), and why. */
export interface SkippedShardReport {
  readonly collection: string;
  readonly shard: string;
  readonly reason: string;
}

/**
 * How far a backup or restore got. Totals are undefined until every node
 * knows its own (a backup's after its snapshots, a restore's from the
 * descriptors); bytes are file bytes before compression, so they end equal
 * to the backup's recorded size.
 */
export interface OperationProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number | undefined;
  readonly filesDone: number;
  readonly filesTotal: number | undefined;
  readonly chunksDone: number;
  readonly chunksTotal: number | undefined;
  /** Average since the operation started. */
  readonly bytesPerSecond: number;
  /** At that rate; undefined while the total or the rate is unknown. */
  readonly etaSeconds: number | undefined;
}

export interface BackupStatusReport {
  readonly id: string;
  readonly backend: string;
  readonly path: string;
  readonly status: BackupStatus;
  readonly error: string;
  readonly classes: string[];
  readonly startedAt: Date | undefined;
  readonly completedAt: Date | undefined;
  /** Bytes of data before compression. */
  readonly sizeBytes: number;
  readonly skipped: SkippedShardReport[];
  /** The base of an incremental backup. */
  readonly incrementalBaseBackupId?: string | undefined;
  /**
   * Stored (compressed) bytes this backup uploaded, and stored bytes it
   * references in earlier backups instead; known once it ended.
   */
  readonly bytesUploaded?: number | undefined;
  readonly bytesReused?: number | undefined;
  /**
   * Known while this process runs or ran it; a backup read from storage only
   * has its bytes (done = total = its size).
   */
  readonly progress?: OperationProgress | undefined;
}

export interface ListBackupsOptions {
  /** By start time; default `desc`. */
  readonly order?: 'asc' | 'desc' | undefined;
  readonly location?: Location | undefined;
}

export interface RestoreConfig {
  readonly cpuPercentage?: number | undefined;
  readonly bucket?: string | undefined;
  readonly path?: string | undefined;
  /** Service endpoint override (`host[:port]`), as on create. */
  readonly endpoint?: string | undefined;
}

export interface RestoreRequest {
  readonly backend: string;
  readonly id: string;
  /** Relative to the collections in the backup; at most one of include and exclude. */
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** `{oldNode: newNode}` when the target's node names differ from the source's. */
  readonly nodeMapping?: Readonly<Record<string, string>> | undefined;
  readonly config?: RestoreConfig | undefined;
}

export interface RestoreResult {
  readonly id: string;
  readonly backend: string;
  readonly classes: string[];
  readonly path: string;
  readonly status: BackupStatus;
  readonly error: string;
}

export interface RestoreStatusReport {
  readonly id: string;
  readonly backend: string;
  readonly path: string;
  readonly status: BackupStatus;
  readonly error: string;
  readonly classes: string[];
  readonly startedAt: Date | undefined;
  readonly completedAt: Date | undefined;
  /** Known while this process runs or ran the restore. */
  readonly progress?: OperationProgress | undefined;
}
