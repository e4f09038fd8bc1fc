/**
 * `@backup/core/provider`: what a storage provider builds on, and nothing of
 * the engine (docs/writing-a-provider.md). A provider imports from here
 * rather than from `@backup/core`, so a chunk worker that builds its own
 * provider (`ProviderModule.workerEntry`) loads these few leaf modules, not
 * the engine, HTTP API and cluster code besides, which V8's collector
 * otherwise keeps marking (docs/DESIGN.md, "A lean provider entry").
 * `@backup/core` exports all of it too.
 */
export { BackupError, ErrorCode, abortError, throwIfAborted, isAbortLike } from './errors.ts';
export { normalizeKey, normalizePrefix, normalizeFolder, normalizeRootPath, joinKey, MAX_KEY_BYTES } from './keys.ts';
export { defineCapabilities, writeBufferBytes } from './capabilities.ts';
export { errorCodeForHttpStatus, resolveRoot, resolveBucket, rootPrefix, folderFromCommonPrefix } from './provider-helpers.ts';
export type { ProviderCapabilities, MultipartLimits } from './capabilities.ts';
export type {
  BackupProvider,
  Location,
  CallOptions,
  WriteOptions,
  ReadOptions,
  CopyOptions,
  ListOptions,
  ByteRange,
  ObjectInfo,
  WriteResult,
  WriteBody,
  ProviderModule,
} from './provider.ts';
export { compactLocation } from './location.ts';
export { AbstractBackupProvider } from './abstract-provider.ts';
export type { InternalCallOptions, InternalCopyOptions, InternalReadOptions, InternalWriteOptions, ErrorContext } from './abstract-provider.ts';
export { ProgressDeadline, DEFAULT_PROGRESS_TIMEOUT_MS, checkProgressTimeout, progressTimeoutFromEnv } from './progress-deadline.ts';
