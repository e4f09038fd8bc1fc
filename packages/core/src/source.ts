/**
 * Where backup bytes come from: the host store. `@backup/lsm` implements it for
 * the reference store; any store that can hard-link (or otherwise freeze) its
 * immutable files can implement it for itself.
 */

/** HOT: open. COLD: closed, files on disk. FROZEN: offloaded, no local files. */
export type ShardStatus = 'HOT' | 'COLD' | 'FROZEN';

export interface ShardInfo {
  /** Shard name; for multi-tenant collections, the tenant's name. */
  readonly name: string;
  readonly status: ShardStatus;
  /** The node that holds it. */
  readonly node: string;
}

export interface CollectionInfo {
  readonly name: string;
  readonly multiTenant: boolean;
  readonly shards: readonly ShardInfo[];
}

/**
 * Everything needed to recreate a collection besides its files (schema,
 * sharding, tenants and their statuses), as plain JSON. The engine stores it
 * in the node descriptor and hands it back to `RestoreTarget.commit`.
 */
export type CollectionMetadata = Readonly<Record<string, unknown>>;

export interface SnapshotFile {
  /** Path relative to `CollectionSnapshot.root`, '/'-separated, e.g. `shard-0/objects/000012.seg`. */
  readonly path: string;
  /** Size in bytes; does not change while the snapshot is held. */
  readonly size: number;
  /** The shard the file belongs to; files of one shard share chunks. */
  readonly shard: string;
  /**
   * True when the store never changes this file's bytes while it exists (an
   * LSM segment; not a WAL or a manifest). An incremental backup then knows an
   * unchanged file by its path, size and place on disk (device, inode,
   * modification time) instead of reading it again. Leave it unset when unsure:
   * the file is then hashed, which is always correct.
   */
  readonly immutable?: boolean | undefined;
}

export interface ShardSnapshotReport {
  readonly shard: string;
  readonly status: ShardStatus;
  /** How long writers of this shard waited for the memtable swap, in milliseconds. */
  readonly writerStallMs: number;
}

export interface SkippedShard {
  readonly shard: string;
  readonly reason: string;
}

/**
 * A frozen, consistent view of one collection's files on this node. The files
 * listed stay byte-for-byte unchanged until `release()`, even while the store
 * keeps writing and compacting.
 */
export interface CollectionSnapshot {
  readonly collection: string;
  readonly metadata: CollectionMetadata;
  /** Absolute directory the file paths are relative to. */
  readonly root: string;
  readonly files: readonly SnapshotFile[];
  readonly shards: readonly ShardSnapshotReport[];
  /** Shards that could not be included (e.g. FROZEN tenants), with why. */
  readonly skipped: readonly SkippedShard[];
  /** Frees the snapshot (removes hard links, staging folders). Idempotent. */
  release(): Promise<void>;
}

/** A place to stage a collection's files before installing them all at once. */
export interface RestoreTarget {
  /** Absolute directory; write each file at its snapshot-relative path below it. */
  readonly directory: string;
  /**
   * Installs the staged collection atomically: afterwards it is live and
   * complete, and if the process dies midway it is absent, never partial.
   * Rejects with ALREADY_EXISTS if the collection appeared meanwhile.
   */
  commit(metadata: CollectionMetadata): Promise<void>;
  /** Removes everything staged. Idempotent; a no-op after `commit`. */
  abort(): Promise<void>;
}

export interface BackupSource {
  /** This node's name, as recorded in backups. */
  readonly nodeName: string;
  /** Every collection with its shards and their statuses. */
  listCollections(): Promise<CollectionInfo[]>;
  collectionExists(name: string): Promise<boolean>;
  /**
   * Snapshots every local shard of `collection`: flush memtables (writers wait
   * only for the swap), pause compaction, freeze the immutable files (e.g. hard
   * links into a staging folder), resume compaction. Writes never fail because
   * of a snapshot. Rejects with NOT_FOUND for an unknown collection.
   */
  snapshot(collection: string, options?: { signal?: AbortSignal }): Promise<CollectionSnapshot>;
  /**
   * Prepares to restore `collection`. Rejects with ALREADY_EXISTS if it exists.
   * `nodeMapping` (backup's node name → this cluster's) is the restore's
   * `node_mapping`: a source that records which node holds each shard in the
   * collection's metadata renames those nodes when it commits.
   */
  prepareRestore(collection: string, options?: { signal?: AbortSignal; nodeMapping?: Readonly<Record<string, string>> | undefined }): Promise<RestoreTarget>;
}
