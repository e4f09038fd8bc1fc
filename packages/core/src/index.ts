// What a storage provider builds on (also its own entry, `@backup/core/provider`).
export * from './provider-api.ts';
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

export { createRedactor, secretsFromEnv, REDACTED, SECRET_ENV_VARIABLES } from './redaction.ts';

// Engine: backups and restores of one node.
export { BackupEngine, toGiB } from './engine/engine.ts';
export type { BackupEngineOptions, Cluster, EngineLogger, WaitForOptions } from './engine/engine-options.ts';
export type { DeletionReport } from './engine/backup-deletion.ts';
export { encryptionKeyFromEnv, parseEncryptionKey } from './engine/chunk-cipher.ts';
export { planRetention, type RetentionPolicy, type RetentionPlan } from './engine/retention.ts';
export { BackupEvents } from './engine/events.ts';
export { AUTO_MIN_CORES, ChunkWorkerPool, defaultMaxWorkers, workerThreadsMode, type WorkerThreadsMode } from './engine/chunk-worker-pool.ts';
export { recommendedThreadPoolSize, threadPoolSize } from './engine/thread-pool.ts';
export type { BackupEvent, BackupEventListener, OperationRef } from './engine/events.ts';
export { DEFAULT_RETRY_POLICY, isTransient, withChunkRetries, resolveRetryPolicy, retryDelay, retryPolicyFromEnv, withRetries } from './engine/retry.ts';
export type { ChunkEvents, RetryOptions, RetryPolicy } from './engine/retry.ts';
export { BackupStatus, isFinalStatus } from './format/status.ts';
export { CompressionLevel } from './format/compression-spec.ts';
export type { Codec, CompressionSpec } from './format/compression-spec.ts';
export type {
  BackupConfig,
  CreateBackupRequest,
  CreateBackupResult,
  BackupStatusReport,
  ListBackupsOptions,
  OperationProgress,
  RestoreConfig,
  RestoreRequest,
  RestoreResult,
  RestoreStatusReport,
  SkippedShardReport,
} from './engine/types.ts';
export type {
  Participant,
  NodeBackupRequest,
  NodeRestoreRequest,
  BackupProgress,
  RestoreProgress,
  TransferProgress,
  ProgressTotals,
} from './engine/participant.ts';
export { LocalParticipant } from './engine/local-participant.ts';

// Cluster: the participant protocol over HTTP (node-to-node, authenticated by the cluster secret).
export { createParticipantApi } from './cluster/participant-api.ts';
export type { ParticipantApi, ParticipantApiOptions, ParticipantApiRequest } from './cluster/participant-api.ts';
export { HttpParticipant } from './cluster/http-participant.ts';
export type { HttpParticipantOptions } from './cluster/http-participant.ts';
export { createHttpCluster } from './cluster/http-cluster.ts';
export type { HttpClusterOptions } from './cluster/http-cluster.ts';
export type { RequestHeaders } from './cluster/cluster-secret.ts';
export {
  PARTICIPANT_PATH_PREFIX,
  DEFAULT_ABORT_AFTER_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_UNREACHABLE_AFTER_MS,
  isParticipantPath,
} from './cluster/participant-protocol.ts';
export type { ParticipantPhase, ParticipantStatus } from './cluster/participant-protocol.ts';
export type { RecoveryReport } from './engine/recovery.ts';

// Format: what a backup stores (descriptors, statuses, object keys).
export { FORMAT_VERSION } from './format/descriptors.ts';
export type {
  EncryptionRecord,
  GlobalDescriptor,
  NodeDescriptor,
  RestoreDescriptor,
  CollectionRecord,
  ChunkRecord,
  ChunkEntryRecord,
  FileRecord,
} from './format/descriptors.ts';

// Transfer: copy a finished backup between providers, verify one in place.
export { copyBackup, planCopy, DEFAULT_COPY_CONCURRENCY } from './transfer/copy-backup.ts';
export type { CopyBackupOptions, CopyPlan, CopyProgress, CopyResult } from './transfer/copy-backup.ts';
export { verifyBackup, planVerify, VerifyProblemKind } from './transfer/verify-backup.ts';
export type { VerifyBackupOptions, VerifyPlan, VerifyProblem, VerifyProgress, VerifyReport } from './transfer/verify-backup.ts';
export type { BackupEndpoint } from './transfer/endpoint.ts';
export { BackupTransfers } from './transfer/backup-transfers.ts';
export type { CopyJobRequest, CopyJobStatus, VerifyJobStatus } from './transfer/backup-transfers.ts';

// HTTP: the /v1/backups endpoints, framework-neutral.
export { createBackupApi } from './http/backup-api.ts';
export type { BackupApi, BackupApiRequest, BackupApiResponse } from './http/backup-api.ts';
export { httpStatusFor, errorBody } from './http/error-status.ts';
export type { HttpApi, ErrorBody } from './http/error-status.ts';
// The one router of every HTTP API here (the server's data API uses it too).
export { Router, methodNotAllowedMessage } from './http/router.ts';
export type { RouteMatch, RouterOptions } from './http/router.ts';
export type { ApiRequest, ApiResponse, RouteRequest, RouteHandler } from './http/messages.ts';

// Configuration: providers from ENABLE_MODULES, or plain objects.
export { providersFromEnv } from './config/providers-from-env.ts';
export type { ProvidersFromEnvOptions } from './config/providers-from-env.ts';
export { ProviderRegistry, backendName } from './config/provider-registry.ts';
export { providerOrigin, setProviderOrigin, type ProviderOrigin } from './config/provider-origin.ts';
export type { ProvidersInput } from './config/provider-registry.ts';
export { candidatePackages } from './config/module-resolution.ts';
