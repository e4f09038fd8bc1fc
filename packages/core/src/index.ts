export { BackupError, ErrorCode, abortError, throwIfAborted, isAbortLike } from './errors.ts';
export { normalizeKey, normalizePrefix, normalizeRootPath, joinKey, MAX_KEY_BYTES } from './keys.ts';
export { defineCapabilities } from './capabilities.ts';
export type { ProviderCapabilities, MultipartLimits } from './capabilities.ts';
export type {
  BackupProvider,
  Location,
  CallOptions,
  WriteOptions,
  ReadOptions,
  ListOptions,
  ByteRange,
  ObjectInfo,
  WriteResult,
  WriteBody,
  ProviderModule,
} from './provider.ts';
export { AbstractBackupProvider } from './abstract-provider.ts';
export type { InternalCallOptions, InternalReadOptions, InternalWriteOptions, ErrorContext } from './abstract-provider.ts';
export type {
  BackupSource,
  CollectionInfo,
  ShardInfo,
  ShardStatus,
  CollectionMetadata,
  CollectionSnapshot,
  SnapshotFile,
  ShardSnapshotReport,
  SkippedShard,
  RestoreTarget,
} from './source.ts';
