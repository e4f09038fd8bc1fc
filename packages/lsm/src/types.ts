/**
 * Public data shapes of `@backup/lsm`: options, collection schemas, tenants
 * and objects. Everything here is plain JSON-compatible data.
 */
import type { CollectionInfo } from '@backup/core';

/** A tenant's activity status. Weaviate's aliases (ACTIVE, INACTIVE, OFFLOADED) are the server's business. */
export type TenantStatus = 'HOT' | 'COLD' | 'FROZEN';

/** Options of {@link Store.open}. Only `path` is required. */
export interface StoreOptions {
  /** Directory of the store; created if missing. */
  readonly path: string;
  /** This node's name, recorded in backups. Default `node1`. */
  readonly nodeName?: string;
  /** A shard flushes its memtable to a segment once it holds this many bytes. Default 4 MiB. */
  readonly memtableBytes?: number;
  /** Target uncompressed size of one segment data block. Default 16 KiB. */
  readonly blockBytes?: number;
  /** Compaction merges segments of a bucket once it has this many. Default 4. */
  readonly compactionTrigger?: number;
  /** Bloom filter bits per key. Default 10 (about 1% false positives). */
  readonly bloomBitsPerKey?: number;
  /**
   * `true` (default): an acknowledged write is on disk (group commit, one
   * fdatasync per batch of concurrent writers). `false`: writes are
   * acknowledged after the WAL `write()`; a machine crash (not a process
   * crash) may lose recent writes. For tests and benchmarks only.
   */
  readonly syncWrites?: boolean;
  /** Set `false` to run compaction only through {@link Store.compact}. Default `true`. */
  readonly autoCompact?: boolean;
  /** Receives recovery notices (torn WAL tails, removed leftovers). Default: none. */
  readonly log?: (message: string) => void;
  /**
   * For a store that is one node of a cluster: the node of each new shard
   * (`index` for hash shards) or tenant, recorded in the collection's
   * descriptor (and so in its backups). The store opens, writes, scans,
   * counts and snapshots only the shards placed on `nodeName`; the caller
   * routes objects of the others to their node. Default: every shard local,
   * nothing recorded. Must be deterministic for a cluster's nodes to agree.
   */
  readonly placeShard?: (shard: { readonly collection: string; readonly shard: string; readonly index?: number }) => string;
}

/** One property of a collection schema, as Weaviate spells it. */
export interface PropertySchema {
  readonly name: string;
  readonly dataType: readonly string[];
  readonly description?: string;
  readonly [extra: string]: unknown;
}

/**
 * A collection definition in the shape of a Weaviate class. Unknown fields are
 * kept and returned as they were given.
 */
export interface CollectionSchema {
  /** Collection name: a letter, then letters, digits or `_` (at most 128 characters). */
  readonly class: string;
  readonly description?: string;
  readonly properties?: readonly PropertySchema[];
  readonly multiTenancyConfig?: { readonly enabled?: boolean; readonly [extra: string]: unknown };
  readonly shardingConfig?: { readonly desiredCount?: number; readonly [extra: string]: unknown };
  readonly [extra: string]: unknown;
}

/** A tenant of a multi-tenant collection. */
export interface Tenant {
  /** 1–64 characters of `A-Z a-z 0-9 _ -`. */
  readonly name: string;
  readonly activityStatus: TenantStatus;
}

/** What a caller stores. Only `properties` and `vector` are interpreted. */
export interface ObjectInput {
  readonly properties?: Readonly<Record<string, unknown>>;
  /** Stored as float32. */
  readonly vector?: readonly number[] | Float32Array;
  /** Milliseconds since the epoch; default: now. */
  readonly creationTimeUnix?: number;
  /** Milliseconds since the epoch; default: now. */
  readonly lastUpdateTimeUnix?: number;
}

/** What a read returns. */
export interface StoredObject {
  readonly id: string;
  readonly properties: Record<string, unknown>;
  /** Present when the object was stored with a vector; float32 precision. */
  readonly vector?: number[];
  readonly creationTimeUnix: number;
  readonly lastUpdateTimeUnix: number;
  /** The tenant, for multi-tenant collections. */
  readonly tenant?: string;
}

/** Selects the tenant of a multi-tenant collection; must be absent otherwise. */
export interface TenantOption {
  readonly tenant?: string;
}

/** Options of {@link Collection.scan}. */
export interface ScanOptions extends TenantOption {
  /** Return only ids strictly greater than this one (UTF-8 byte order). */
  readonly after?: string;
  /** At most this many objects. Default 100. */
  readonly limit?: number;
  /** `false`: leave vectors out (not read, not decoded). Default `true`. */
  readonly vectors?: boolean;
}

/** {@link Store.listCollections} entries: the backup view plus the schema. */
export interface CollectionDescription extends CollectionInfo {
  readonly schema: CollectionSchema;
}

/** Counters of what recovery found; see {@link Store.recovery}. */
export interface RecoveryStats {
  /** WAL records replayed into memtables at open. */
  readonly walRecordsReplayed: number;
  /** WAL files that ended in a torn or corrupt record (the unacknowledged tail was dropped). */
  readonly tornWalTails: number;
  /** Bytes dropped from torn WAL tails. */
  readonly tornWalBytes: number;
  /** Files or folders removed at open because no manifest referenced them (crash leftovers). */
  readonly leftoversRemoved: number;
}
