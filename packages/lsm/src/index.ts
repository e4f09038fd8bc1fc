/**
 * `@backup/lsm`: a small but real LSM store (write-ahead log with group
 * commit, sorted memtables, immutable checksummed segments with block index
 * and bloom filter, background compaction, atomic manifests) holding
 * Weaviate-style collections, with the snapshot and restore hooks of
 * `BackupSource`.
 *
 * @packageDocumentation
 */
export { Store, STORE_DEFAULTS } from './store.ts';
export { Collection } from './collection.ts';
export type {
  StoreOptions,
  CollectionSchema,
  PropertySchema,
  Tenant,
  TenantStatus,
  TenantOption,
  ObjectInput,
  StoredObject,
  ScanOptions,
  CollectionDescription,
  RecoveryStats,
} from './types.ts';
