export { runProviderConformance, type RunProviderConformanceOptions } from './run-provider-conformance.ts';
export type { ProviderConformanceOptions, TestFunction } from './options.ts';
export { roundTripTests } from './groups/round-trip.ts';
export { streamingTests } from './groups/streaming.ts';
export { rangeTests } from './groups/ranges.ts';
export { listingTests } from './groups/listing.ts';
export { deletionTests } from './groups/deletion.ts';
export { abortTests } from './groups/abort.ts';
export { concurrencyTests } from './groups/concurrency.ts';
export { keyTests } from './groups/keys.ts';
export { locationTests } from './groups/locations.ts';
export { copyTests } from './groups/copy.ts';
export { isolationTests } from './groups/isolation.ts';
export { progressTests } from './groups/progress.ts';
export { initializeTests } from './groups/initialize.ts';
export { workerEntryTests } from './groups/worker-entry.ts';
export { manifestTests } from './groups/manifest.ts';

// Helpers the groups use, for a provider's own tests.
export {
  providerTest,
  rejectsWithCode,
  assertSameBytes,
  readAll,
  sha256Of,
  listKeys,
  listFolders,
  GeneratedBody,
  stallingBody,
  uniqueKey,
} from './helpers.ts';
export { resolveOptions, type ResolvedOptions } from './options.ts';

// End-to-end backups through real stores and providers: round trips, copies between providers, damage, resume.
export { runBackupConformance } from './backup/run-backup-conformance.ts';
export type { BackupConformanceOptions, BackupHost, BackupClusterHost, BackupControl, ProviderFactory } from './backup/options.ts';
export { assertSameData } from './backup/compare.ts';

// Faults on the wire: a proxy in front of the real backend, and the backup/restore scenarios it breaks.
export { runFaultConformance, FAULT_SCENARIOS, DEFAULT_STAGE_REQUESTS } from './faults/run-fault-conformance.ts';
export type { FaultConformanceOptions, FaultOutcome, FaultProviderOptions, FaultStage } from './faults/run-fault-conformance.ts';
export { startFaultProxy, matches } from './faults/fault-proxy.ts';
export type { FaultKind, FaultProxy, FaultRule, ProxiedRequest, RequestMatcher } from './faults/fault-proxy.ts';
export { DirectorySource } from './faults/directory-source.ts';
export { COPY_FAULT_SCENARIOS } from './faults/copy-faults.ts';
export type { CopyFaultScenario, CopyFaultStage } from './faults/copy-faults.ts';
