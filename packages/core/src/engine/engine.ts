import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ProviderRegistry, backendName, type ProvidersInput } from '../config/provider-registry.ts';
import { BackupError, ErrorCode, throwIfAborted } from '../errors.ts';
import { BackupEvents } from './events.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { BackupSource } from '../source.ts';
import { selectCollections } from './collection-selection.ts';
import { abortBackupEverywhere, canCommitBackup, canRestore, commitBackup, runRestore, DEFAULT_CAN_COMMIT_TIMEOUT_MS } from './coordinator.ts';
import {
  FORMAT_VERSION,
  decodeGlobalDescriptor,
  decodeRestoreDescriptor,
  encodeDescriptor,
  globalDescriptorKey,
  restoreDescriptorKey,
  type GlobalDescriptor,
  type NodeDescriptor,
  type NodeSummary,
  type RestoreDescriptor,
} from './descriptors.ts';
import { Journal } from './journal.ts';
import { checkRequestLocation } from './location-check.ts';
import { planRestoreNodes } from './node-mapping.ts';
import { LocalParticipant } from './local-participant.ts';
import { Operation } from './operation.ts';
import type { NodeBackupRequest, NodeRestoreRequest, Participant, TransferProgress } from './participant.ts';
import { recoverInterrupted, type RecoveryReport } from './recovery.ts';
import {
  checkChunkSizeFits,
  resolveBackupConfig,
  resolveRestoreConfig,
  validateBackupId,
  validateSelection,
  type ResolvedBackupConfig,
} from './request-validation.ts';
import { Scheduler, type OperationKind, type Slot } from './scheduler.ts';
import { BackupStatus, isFinalStatus } from './status.ts';
import { resolveRetryPolicy, withRetries, type RetryPolicy } from './retry.ts';
import { removeBackupObjects } from './storage-cleanup.ts';
import { deleteBackupFromStorage, hasDeletionMark, type DeletionReport } from './backup-deletion.ts';
import { planRetention, type RetentionPolicy } from './retention.ts';
import type { WorkerThreadsMode } from './chunk-worker-pool.ts';
import type {
  BackupStatusReport,
  CreateBackupRequest,
  CreateBackupResult,
  ListBackupsOptions,
  OperationProgress,
  RestoreRequest,
  RestoreResult,
  RestoreStatusReport,
  SkippedShardReport,
} from './types.ts';

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

const GIB = 1024 ** 3;

/**
 * Backups and restores of one node: validates requests, schedules one backup
 * and one restore at a time, coordinates the participants, records every
 * status in the storage backend, and on `start()` ends whatever a previous
 * process left running. Framework-neutral; `createBackupApi` puts HTTP on it.
 */
export class BackupEngine {
  readonly nodeName: string;
  readonly providers: ProviderRegistry;
  /** Operation started, status changed, bytes, chunk retried/failed, writer stall, ended: see `BackupEvent`. */
  readonly events: BackupEvents;
  /** The redaction applied to recorded errors (identity when none was given). */
  readonly redact: (text: string) => string;
  readonly #source: BackupSource;
  readonly #journal: Journal;
  readonly #stateDir: string;
  readonly #cluster: Cluster;
  readonly #local: LocalParticipant;
  readonly #scheduler = new Scheduler();
  readonly #operations = new Map<string, Operation>();
  readonly #canCommitTimeoutMs: number;
  readonly #logger: EngineLogger;
  readonly #retry: RetryPolicy;
  readonly #cancelWaitMs: number;
  /** Final statuses that could not be stored yet: written again after the next successful write. */
  readonly #unrecorded = new Map<Operation, { provider: BackupProvider; write: () => Promise<void> }>();
  #reconciling = false;
  /** Deletions of this engine run one at a time (each reads every descriptor). */
  #deletions: Promise<unknown> = Promise.resolve();
  #state: 'new' | 'started' | 'closed' = 'new';

  /** How transient storage failures are retried (the `retry` option, resolved); copies started through the API use it too. */
  get retry(): RetryPolicy {
    return this.#retry;
  }

  constructor(options: BackupEngineOptions) {
    this.#source = options.source;
    this.providers = ProviderRegistry.from(options.providers);
    this.nodeName = options.nodeName ?? options.source.nodeName;
    this.#stateDir = options.stateDir;
    this.#journal = new Journal(join(options.stateDir, 'journal'));
    this.#canCommitTimeoutMs = options.canCommitTimeoutMs ?? DEFAULT_CAN_COMMIT_TIMEOUT_MS;
    this.#logger = options.logger ?? { warn: (message) => process.emitWarning(message, 'BackupEngine') };
    this.#retry = resolveRetryPolicy(options.retry);
    this.#cancelWaitMs = options.cancelWaitMs ?? 900;
    this.events = options.events ?? new BackupEvents();
    this.redact = options.redact ?? ((text) => text);
    const local = new LocalParticipant({
      source: options.source,
      providers: this.providers,
      node: this.nodeName,
      cpuCount: options.cpuCount ?? availableParallelism(),
      retry: this.#retry,
      events: this.events,
      encryptionKey: options.encryptionKey,
      workerThreads: options.workerThreads,
    });
    this.#local = local;
    this.#cluster = options.cluster ?? {
      nodes: [this.nodeName],
      participant: (node) => (node === this.nodeName ? local : undefined),
    };
  }

  /**
   * Prepares the state directory and ends every operation a previous process
   * left running (FAILED with a reason, partial objects and staged files
   * removed). Call once before serving requests.
   */
  async start(): Promise<RecoveryReport> {
    if (this.#state !== 'new') throw new BackupError(ErrorCode.CONFLICT, 'the backup engine was already started');
    await mkdir(this.#stateDir, { recursive: true });
    const report = await recoverInterrupted(this.#journal, this.providers);
    for (const item of report.recovered) this.#logger.info?.(`${item.kind} ${item.id} was interrupted by a restart: now FAILED`);
    for (const item of report.pending) {
      this.#logger.warn(`could not settle interrupted ${item.kind} ${item.id} on ${item.backend}: ${item.reason}`);
    }
    // Participants of an interrupted backup abort on their own once nobody polls them; telling them is faster.
    const peers = this.#cluster.nodes.flatMap((node) => this.#cluster.participant(node) ?? []);
    for (const item of report.recovered) if (item.kind === 'backup' && peers.length > 1) void abortBackupEverywhere(peers, item.id);
    this.#state = 'started';
    return report;
  }

  /**
   * Aborts running work cleanly (each ends FAILED: "the node shut down") and
   * waits for it. Providers stay open: whoever created them closes them.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const running = [...this.#operations.values()].filter((operation) => operation.running);
    for (const operation of running) {
      operation.controller.abort(new BackupError(ErrorCode.ABORTED, `the node shut down while the ${operation.kind} was running`));
    }
    await Promise.all(running.map((operation) => operation.done));
    await this.#local.close();
  }

  // ---------------------------------------------------------------- backups

  /** Validates and starts a backup; resolves once it is STARTED (work continues in the background). */
  async createBackup(request: CreateBackupRequest): Promise<CreateBackupResult> {
    this.#assertStarted();
    const { provider, backend } = this.#provider(request.backend);
    const id = validateBackupId(request.id);
    validateSelection(request.include, request.exclude);
    const baseId = request.incrementalBaseBackupId === undefined ? undefined : validateBaseId(request.incrementalBaseBackupId, id);
    const config: ResolvedBackupConfig = { ...resolveBackupConfig(request.config), ...(baseId ? { incrementalBaseBackupId: baseId } : {}) };
    checkChunkSizeFits(config.chunkSizeBytes, backend, provider.capabilities);
    const location = config.location;
    this.#refuseFilesystemOnCluster(provider);
    await checkRequestLocation(provider, location); // before the slot: a bad Path never holds it
    const slot = this.#scheduler.acquire('backup', id);
    try {
      const available = (await this.#source.listCollections()).map((collection) => collection.name);
      const classes = selectCollections(available, request.include, request.exclude, {
        unknown: (name) => `class ${name} doesn't exist`,
      });
      if (classes.length === 0) {
        throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'nothing to back up: no class matches the request');
      }
      await this.#checkAccess(provider, location);
      if (baseId) await this.#checkBase(provider, baseId, location);
      await this.#checkIdIsFree(provider, id, location);
      const operation = new Operation('backup', id, backend, location, provider.homeDir(id, location), classes);
      operation.incrementalBaseBackupId = baseId;
      const nodeRequest: NodeBackupRequest = {
        id,
        backend,
        location,
        collections: classes,
        chunkSizeBytes: config.chunkSizeBytes,
        compression: config.compression,
        cpuPercentage: config.cpuPercentage,
        startedAt: operation.startedAt.toISOString(),
        ...(baseId ? { incrementalBaseBackupId: baseId } : {}),
      };
      const participants = this.#backupParticipants();
      await canCommitBackup(participants, nodeRequest, operation.controller.signal, this.#canCommitTimeoutMs);
      try {
        await this.#journal.record(
          this.#journalEntry(
            operation,
            'backup',
            [],
            participants.map((participant) => participant.node),
          ),
        );
        try {
          await this.#storeGlobal(provider, operation, config, {});
        } catch (error) {
          await this.#journal.remove('backup', backend, id);
          throw error;
        }
      } catch (error) {
        await abortBackupEverywhere(participants, id); // they accepted phase 1 and would wait for a commit
        throw error;
      }
      this.#operations.set(Operation.key('backup', backend, id, location), operation);
      operation.nodeCount = participants.length;
      this.#observe(operation);
      operation.done = this.#runBackup(operation, provider, config, nodeRequest, participants, slot).catch((error: unknown) =>
        this.#lastResort(operation, slot, error),
      );
      return {
        id,
        backend,
        classes,
        path: operation.path,
        bucket: bucketOf(provider, id, location),
        status: BackupStatus.STARTED,
        error: '',
      };
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  /** Status of a backup: the running one in memory, else its stored descriptor. NOT_FOUND if there is none. */
  async backupStatus(backend: string, id: string, location: Location = {}): Promise<BackupStatusReport> {
    const { provider, backend: name } = this.#provider(backend);
    const operation = this.#operations.get(Operation.key('backup', name, id, normalizeLocation(location)));
    if (operation && (operation.running || !operation.recorded)) return backupReport(operation);
    // A backup this process ran is read where it went (its request's endpoint, which a status call cannot name).
    const where = operation?.location ?? normalizeLocation(location);
    const descriptor = await this.#readGlobal(provider, id, where);
    const report = reportFromGlobal(descriptor, name, provider.homeDir(id, where));
    // The stored record wins; the counts of a run this process saw end are added to it.
    return operation && descriptor.startedAt === operation.startedAt.toISOString() ? { ...report, progress: operation.progress() } : report;
  }

  /** Every backup stored at the backend's root, by start time (default newest first). */
  async listBackups(backend: string, options: ListBackupsOptions = {}): Promise<BackupStatusReport[]> {
    const { provider, backend: name } = this.#provider(backend);
    const location = normalizeLocation(options.location ?? {});
    const reports = new Map<string, BackupStatusReport>();
    // One folder per backup at the root: a delimiter listing, not every chunk's key.
    for await (const id of provider.listFolders('', { location })) {
      if (!/^[a-z0-9_-]+$/.test(id)) continue;
      try {
        const descriptor = await this.#readGlobal(provider, id, location);
        reports.set(id, reportFromGlobal(descriptor, name, provider.homeDir(id, location)));
      } catch (error) {
        if (!BackupError.is(error, ErrorCode.NOT_FOUND)) this.#logger.warn(`listing skips backup ${id}: ${describe(error)}`);
      }
    }
    for (const operation of this.#operations.values()) {
      const known = operation.running || !operation.recorded;
      if (operation.kind === 'backup' && operation.backend === name && known && sameLocation(operation.location, location)) {
        reports.set(operation.id, backupReport(operation));
      }
    }
    const direction = options.order === 'asc' ? 1 : -1;
    return [...reports.values()].sort((a, b) => direction * ((a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0)));
  }

  /**
   * Cancels a backup: a running one is aborted (snapshots released, uploads
   * aborted, partial objects removed) and ends CANCELED before this resolves.
   * CONFLICT if it already succeeded; a no-op if it already ended otherwise.
   */
  async cancelBackup(backend: string, id: string, location: Location = {}): Promise<void> {
    const { provider, backend: name } = this.#provider(backend);
    const where = normalizeLocation(location);
    const operation = this.#operations.get(Operation.key('backup', name, id, where));
    if (operation?.running) {
      if (!operation.finishing) {
        operation.cancelRequested = true;
        operation.status = BackupStatus.CANCELLING;
        operation.controller.abort(new BackupError(ErrorCode.ABORTED, `backup ${id} was canceled`));
      }
      // Answer promptly whatever the provider does: the cleanup of a stalled
      // backend is bounded by its deadlines and goes on in the background.
      await settledWithin(operation.done, this.#cancelWaitMs);
      if (operation.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
      return;
    }
    if (operation && !operation.recorded) {
      if (operation.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
      return;
    }
    const descriptor = await this.#readGlobal(provider, id, where);
    if (descriptor.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
    if (isFinalStatus(descriptor.status)) return;
    // In progress by the record but not running here: an orphan of a node
    // that is gone. Cancelling it means cleaning it up.
    await removeBackupObjects(provider, id, where, this.#cluster.nodes);
    await provider.put(
      globalDescriptorKey(id),
      encodeDescriptor({
        ...descriptor,
        status: BackupStatus.CANCELED,
        error: `backup ${id} was canceled`,
        completedAt: new Date().toISOString(),
      }),
      { location: where },
    );
  }

  /**
   * Deletes a finished backup (SUCCESS, FAILED or CANCELED) from storage,
   * keeping the objects other backups reuse (see `backup-deletion.ts`).
   * NOT_FOUND if there is no such backup; CONFLICT while it runs (cancel it
   * first) or while a backup is being built on it. Afterwards its id is
   * free, unless objects of it are still reused by other backups.
   */
  async deleteBackup(backend: string, id: string, location: Location = {}): Promise<DeletionReport> {
    this.#assertStarted();
    const { provider, backend: name } = this.#provider(backend);
    validateBackupId(id);
    const where = normalizeLocation(location);
    const operation = this.#operations.get(Operation.key('backup', name, id, where));
    if (operation && (operation.running || !operation.recorded)) {
      throw new BackupError(ErrorCode.CONFLICT, `backup "${id}" is ${operation.status}: cancel it first, then delete it`);
    }
    const run = this.#deletions.then(() => deleteBackupFromStorage(provider, id, where));
    this.#deletions = run.catch(() => {});
    const report = await run;
    if (operation) this.#operations.delete(Operation.key('backup', name, id, where));
    return report;
  }

  /**
   * Applies a retention policy to the backups at the backend's root: keeps
   * what `planRetention` keeps, deletes the rest oldest first (nothing with
   * `dryRun`). A deletion that fails is reported and the others go on.
   */
  async pruneBackups(
    backend: string,
    policy: RetentionPolicy & { readonly dryRun?: boolean | undefined; readonly location?: Location | undefined },
  ): Promise<{ keep: string[]; delete: string[]; deleted: string[]; failed: { id: string; error: string }[] }> {
    const location = normalizeLocation(policy.location ?? {});
    const plan = planRetention(await this.listBackups(backend, { location }), policy);
    const deleted: string[] = [];
    const failed: { id: string; error: string }[] = [];
    if (!policy.dryRun) {
      for (const id of [...plan.delete].reverse()) {
        try {
          await this.deleteBackup(backend, id, location);
          deleted.push(id);
        } catch (error) {
          failed.push({ id, error: this.redact(describe(error)) });
        }
      }
    }
    return { ...plan, deleted, failed };
  }

  // --------------------------------------------------------------- restores

  /**
   * Validates and starts a restore. Every check that can fail does so here,
   * before anything is downloaded: the backup exists (NOT_FOUND) and
   * succeeded, its format is supported, every requested collection is in it,
   * and none exists on the target.
   */
  async restore(request: RestoreRequest): Promise<RestoreResult> {
    this.#assertStarted();
    const { provider, backend } = this.#provider(request.backend);
    const id = validateBackupId(request.id);
    validateSelection(request.include, request.exclude);
    const config = resolveRestoreConfig(request.config);
    const location = config.location;
    this.#refuseFilesystemOnCluster(provider);
    await checkRequestLocation(provider, location);
    const descriptor = await this.#readGlobal(provider, id, location);
    if (descriptor.status !== BackupStatus.SUCCESS) {
      throw new BackupError(ErrorCode.CONFLICT, `backup ${id} has status ${descriptor.status}: only a backup with status SUCCESS can be restored`);
    }
    const classes = selectCollections(descriptor.classes, request.include, request.exclude, {
      unknown: (name) => `class ${name} is not in backup ${id}`,
    });
    if (classes.length === 0) throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'nothing to restore: no class matches the request');
    const requests = this.#restoreRequests(descriptor, id, backend, location, classes, config.cpuPercentage, request.nodeMapping);

    const slot = this.#scheduler.acquire('restore', id);
    try {
      const operation = new Operation('restore', id, backend, location, provider.homeDir(id, location), classes);
      await canRestore(requests, operation.controller.signal, this.#canCommitTimeoutMs);
      await this.#journal.record(this.#journalEntry(operation, 'STARTED'));
      const nodeMapping = { ...(request.nodeMapping ?? {}) };
      try {
        await this.#storeRestore(provider, operation, nodeMapping);
      } catch (error) {
        await this.#journal.remove('restore', backend, id);
        throw error;
      }
      this.#operations.set(Operation.key('restore', backend, id, location), operation);
      operation.nodeCount = requests.size;
      this.#observe(operation);
      operation.done = this.#runRestore(operation, provider, requests, nodeMapping, slot).catch((error: unknown) => this.#lastResort(operation, slot, error));
      return { id, backend, classes, path: operation.path, status: BackupStatus.STARTED, error: '' };
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  /** Status of the last restore of a backup. NOT_FOUND if it was never restored. */
  async restoreStatus(backend: string, id: string, location: Location = {}): Promise<RestoreStatusReport> {
    const { provider, backend: name } = this.#provider(backend);
    const where = normalizeLocation(location);
    const operation = this.#operations.get(Operation.key('restore', name, id, where));
    if (operation && (operation.running || !operation.recorded)) return restoreReport(operation);
    const descriptor = await this.#readRestore(provider, id, operation?.location ?? where);
    const seen = operation && descriptor.startedAt === operation.startedAt.toISOString();
    return {
      ...(seen ? { progress: operation.progress() } : {}),
      id,
      backend: name,
      path: provider.homeDir(id, where),
      status: descriptor.status,
      error: descriptor.error,
      classes: [...descriptor.classes],
      startedAt: parseDate(descriptor.startedAt),
      completedAt: parseDate(descriptor.completedAt),
    };
  }

  /**
   * Cancels a running restore: downloads stop, staged files are removed,
   * nothing is installed; it ends CANCELED before this resolves. CONFLICT
   * once installing began or after SUCCESS.
   */
  async cancelRestore(backend: string, id: string, location: Location = {}): Promise<void> {
    const { provider, backend: name } = this.#provider(backend);
    const where = normalizeLocation(location);
    const operation = this.#operations.get(Operation.key('restore', name, id, where));
    if (operation?.running) {
      if (operation.finishing || operation.status === BackupStatus.FINALIZING) {
        throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} is installing the collections and cannot be canceled`);
      }
      operation.cancelRequested = true;
      operation.status = BackupStatus.CANCELLING;
      operation.controller.abort(new BackupError(ErrorCode.ABORTED, `restore of backup ${id} was canceled`));
      await settledWithin(operation.done, this.#cancelWaitMs);
      return;
    }
    if (operation && !operation.recorded) {
      if (operation.status === BackupStatus.SUCCESS) throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} already succeeded`);
      return;
    }
    const descriptor = await this.#readRestore(provider, id, where);
    if (descriptor.status === BackupStatus.SUCCESS) {
      throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} already succeeded`);
    }
  }

  // ------------------------------------------------------------- internals

  async #runBackup(
    operation: Operation,
    provider: BackupProvider,
    config: ResolvedBackupConfig,
    request: NodeBackupRequest,
    participants: Participant[],
    slot: Slot,
  ): Promise<void> {
    const signal = operation.controller.signal;
    let nodes: Record<string, NodeSummary> = {};
    // The final status is recorded first and shown last: until the slot is free the operation
    // stays running in memory, so a status read, a cancel or a shutdown in between still finds
    // it (and a client that saw SUCCESS can start the next backup at once).
    let outcome: BackupStatus;
    let cleanedUp = true;
    try {
      // The STARTED descriptor naming the base is stored: a delete of the base that began since has left
      // its mark (or, finished, removed the base's descriptor).
      if (request.incrementalBaseBackupId && !(await this.#baseStillThere(provider, request.incrementalBaseBackupId, request.location, signal))) {
        await abortBackupEverywhere(participants, request.id); // they accepted phase 1 and would wait for a commit
        throw new BackupError(ErrorCode.CONFLICT, `incremental base backup "${request.incrementalBaseBackupId}" was deleted while this backup started`);
      }
      const descriptors = await commitBackup(participants, request, signal, {
        onStatus: async (status) => {
          if (operation.cancelRequested || signal.aborted) return;
          operation.status = status;
          await this.#recordProgress(operation, () => this.#storeGlobal(provider, operation, config, nodes, status, signal));
        },
        ...this.#counting(operation),
      });
      this.#reportWriterStalls(operation, descriptors);
      nodes = Object.fromEntries(descriptors.map((descriptor) => [descriptor.node, nodeSummary(descriptor)]));
      operation.sizeBytes = descriptors.reduce((sum, descriptor) => sum + descriptor.preCompressionSizeBytes, 0);
      operation.skipped = descriptors.flatMap((descriptor) => skippedOf(descriptor));
      operation.storedBytes = {
        uploaded: descriptors.reduce((sum, descriptor) => sum + descriptor.storedSizeBytes, 0),
        reused: descriptors.reduce((sum, descriptor) => sum + (descriptor.reusedStoredSizeBytes ?? 0), 0),
      };
      if (signal.aborted) throw signal.reason;
      operation.finishing = true;
      operation.completedAt = new Date();
      await withRetries(`recording backup ${operation.id} as SUCCESS`, this.#retry, () =>
        this.#storeGlobal(provider, operation, config, nodes, BackupStatus.SUCCESS),
      );
      outcome = BackupStatus.SUCCESS;
    } catch (error) {
      operation.finishing = true;
      outcome = operation.cancelRequested ? BackupStatus.CANCELED : BackupStatus.FAILED;
      operation.error = this.redact(describe(signal.aborted ? signal.reason : error));
      operation.errorCode = codeOf(signal.aborted ? signal.reason : error);
      operation.completedAt = new Date();
      try {
        await withRetries(`cleaning up backup ${operation.id}`, this.#retry, () =>
          removeBackupObjects(
            provider,
            operation.id,
            operation.location,
            participants.map((participant) => participant.node),
          ),
        );
      } catch (cleanupError) {
        // The journal entry stays, so the next start finishes the cleanup.
        this.#logger.warn(`backup ${operation.id} ended ${outcome} but cleanup failed: ${describe(cleanupError)}`);
        cleanedUp = false;
      }
    }
    const final = outcome;
    const recorded =
      final === BackupStatus.SUCCESS ||
      (await this.#recordFinal(operation, provider, final, () => this.#storeGlobal(provider, operation, config, nodes, final)));
    await this.#settleJournal(operation, final, recorded && cleanedUp);
    operation.status = outcome;
    slot.release();
  }

  async #runRestore(
    operation: Operation,
    provider: BackupProvider,
    requests: Map<Participant, NodeRestoreRequest>,
    nodeMapping: Record<string, string>,
    slot: Slot,
  ): Promise<void> {
    const signal = operation.controller.signal;
    let staging: readonly string[] = [];
    let outcome: BackupStatus;
    try {
      await runRestore(requests, signal, {
        onStatus: async (status) => {
          if (operation.cancelRequested) return;
          operation.status = status;
          if (status === BackupStatus.FINALIZING) {
            operation.finishing = true;
            await this.#journal.record(this.#journalEntry(operation, status, staging));
          }
          await this.#recordProgress(operation, () => this.#storeRestore(provider, operation, nodeMapping, status, operation.finishing ? undefined : signal));
        },
        ...this.#counting(operation),
        onStaging: async (directories) => {
          staging = [...staging, ...directories];
          await this.#journal.record(this.#journalEntry(operation, operation.status, staging));
        },
      });
      outcome = BackupStatus.SUCCESS;
    } catch (error) {
      outcome = operation.cancelRequested ? BackupStatus.CANCELED : BackupStatus.FAILED;
      operation.error = this.redact(describe(signal.aborted ? signal.reason : error));
      operation.errorCode = codeOf(signal.aborted ? signal.reason : error);
    }
    // As for backups: recorded first, shown once the slot is free.
    operation.completedAt = new Date();
    const final = outcome;
    const recorded = await this.#recordFinal(operation, provider, final, () => this.#storeRestore(provider, operation, nodeMapping, final));
    await this.#settleJournal(operation, final, recorded);
    operation.status = outcome;
    slot.release();
  }

  /**
   * Stores an intermediate status, retrying transient failures. Never
   * rejects: when the retries run out, the operation is aborted with the
   * reason (it then ends FAILED) unless it is already past the point of no
   * return, where the final write will carry the truth instead.
   */
  async #recordProgress(operation: Operation, write: () => Promise<void>): Promise<void> {
    const signal = operation.controller.signal;
    try {
      await withRetries(`recording ${operation.kind} ${operation.id} as ${operation.status}`, this.#retry, write, {
        signal: operation.finishing ? undefined : signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (operation.finishing) {
        this.#logger.warn(`${operation.kind} ${operation.id}: ${describe(error)}`);
        return;
      }
      const code = BackupError.is(error) ? error.code : ErrorCode.IO;
      operation.controller.abort(new BackupError(code, `could not record the status: ${describe(error)}`, { cause: error }));
    }
  }

  /**
   * Stores the final status, retrying transient failures. When that still
   * fails, the operation keeps its outcome in memory (status reads answer
   * it), the write is tried again after the next successful write to the
   * same provider, and the journal keeps the outcome for the next start.
   */
  async #recordFinal(operation: Operation, provider: BackupProvider, status: BackupStatus, write: () => Promise<void>): Promise<boolean> {
    try {
      await withRetries(`recording ${operation.kind} ${operation.id} as ${status}`, this.#retry, write);
      return true;
    } catch (error) {
      this.#logger.warn(`${operation.kind} ${operation.id} ended ${status}, but storing that failed: ${describe(error)}`);
      operation.recorded = false;
      this.#unrecorded.set(operation, { provider, write });
      return false;
    }
  }

  /** Clears the journal entry of an ended operation, or keeps its outcome there for the next start. */
  async #settleJournal(operation: Operation, status: BackupStatus, settled: boolean): Promise<void> {
    try {
      if (settled) await this.#journal.remove(operation.kind as OperationKind, operation.backend, operation.id);
      else await this.#journal.record({ ...this.#journalEntry(operation, status), outcome: { status, error: operation.error } });
    } catch (error) {
      this.#logger.warn(`could not update the journal of ${operation.kind} ${operation.id}: ${describe(error)}`);
    }
  }

  /** After a successful write to `provider`: stores the final statuses that failed before. */
  #reconcile(provider: BackupProvider): void {
    if (this.#reconciling || this.#unrecorded.size === 0) return;
    this.#reconciling = true;
    void (async () => {
      for (const [operation, pending] of [...this.#unrecorded]) {
        if (pending.provider !== provider) continue;
        try {
          await pending.write();
        } catch {
          continue;
        }
        this.#unrecorded.delete(operation);
        operation.recorded = true;
        await this.#journal.remove(operation.kind as OperationKind, operation.backend, operation.id).catch(() => {});
      }
    })()
      .catch(() => {})
      .finally(() => (this.#reconciling = false));
  }

  /** A bug in the run itself must not end the process, nor leave the operation running forever. */
  #lastResort(operation: Operation, slot: Slot, error: unknown): void {
    this.#logger.warn(`${operation.kind} ${operation.id} failed unexpectedly: ${describe(error)}`);
    if (operation.running) {
      operation.error ||= this.redact(describe(error));
      operation.errorCode ??= codeOf(error);
      operation.completedAt ??= new Date();
      operation.status = BackupStatus.FAILED;
    }
    slot.release();
  }

  /**
   * Resolves with the final status report of a backup or restore, reading
   * its status on every change (and at least every `intervalMs`), so callers
   * need no polling loop. Rejects ABORTED when `signal` fires, and with the
   * status read's error (e.g. NOT_FOUND).
   */
  async waitFor(kind: 'backup', backend: string, id: string, options?: WaitForOptions): Promise<BackupStatusReport>;
  async waitFor(kind: 'restore', backend: string, id: string, options?: WaitForOptions): Promise<RestoreStatusReport>;
  async waitFor(kind: 'backup' | 'restore', backend: string, id: string, options: WaitForOptions = {}): Promise<BackupStatusReport | RestoreStatusReport> {
    const { signal, location = {} } = options;
    const intervalMs = options.intervalMs ?? 500;
    const name = backendName(backend);
    for (;;) {
      throwIfAborted(signal, `waiting for ${kind} ${id}`);
      // Subscribed before the read, so a change between the read and the wait is not missed.
      let wake: () => void = () => {};
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const off = this.events.on((event) => {
        if (event.kind === kind && event.id === id && event.backend === name && (event.type === 'status' || event.type === 'ended')) wake();
      });
      try {
        const report = kind === 'backup' ? await this.backupStatus(backend, id, location) : await this.restoreStatus(backend, id, location);
        options.onProgress?.(report);
        if (isFinalStatus(report.status)) return report;
        const timer = setTimeout(wake, intervalMs);
        const abort = (): void => wake();
        signal?.addEventListener('abort', abort, { once: true });
        await changed;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      } finally {
        off();
      }
    }
  }

  /** Emits `started`, then `status` on every change and `ended` once the operation is final. */
  #observe(operation: Operation): void {
    const ref = { kind: operation.kind, id: operation.id, backend: operation.backend, node: this.nodeName } as const;
    this.events.emit({ ...ref, type: 'started' });
    operation.onStatus = (status, previous) => {
      this.events.emit({ ...ref, type: 'status', status, previous });
      if (!isFinalStatus(status)) return;
      const end = operation.completedAt ?? new Date();
      this.events.emit({
        ...ref,
        type: 'ended',
        status,
        bytes: operation.sizeBytes,
        durationMs: end.getTime() - operation.startedAt.getTime(),
        ...(status === BackupStatus.SUCCESS ? {} : { errorCode: operation.errorCode ?? ErrorCode.IO }),
        error: operation.error,
      });
    };
  }

  /** Progress callbacks that count into `operation` and report bytes as events. */
  #counting(operation: Operation): TransferProgress {
    const ref = { kind: operation.kind, id: operation.id, backend: operation.backend, node: this.nodeName } as const;
    return {
      onBytes: (bytes) => {
        operation.sizeBytes += bytes;
        this.events.emit({ ...ref, type: 'bytes', bytes });
      },
      onPlanned: (totals) => operation.planned(totals),
      onDone: (done) => {
        operation.completed.files += done.files;
        operation.completed.chunks += done.chunks;
      },
    };
  }

  /** The writer stall of every shard snapshot, as each node recorded it. */
  #reportWriterStalls(operation: Operation, descriptors: readonly NodeDescriptor[]): void {
    for (const descriptor of descriptors) {
      for (const collection of descriptor.collections) {
        for (const shard of collection.shards) {
          if (typeof shard.writerStallMs !== 'number') continue;
          this.events.emit({
            kind: 'backup',
            id: operation.id,
            backend: operation.backend,
            node: descriptor.node,
            type: 'writerStall',
            collection: collection.name,
            shard: shard.name,
            ms: shard.writerStallMs,
          });
        }
      }
    }
  }

  #restoreRequests(
    descriptor: GlobalDescriptor,
    id: string,
    backend: string,
    location: Location,
    classes: string[],
    cpuPercentage: number,
    nodeMapping: Readonly<Record<string, string>> | undefined,
  ): Map<Participant, NodeRestoreRequest> {
    const requests = new Map<Participant, NodeRestoreRequest>();
    const plan = planRestoreNodes(id, Object.keys(descriptor.nodes), this.#cluster.nodes, nodeMapping);
    for (const [sourceNode, summary] of Object.entries(descriptor.nodes)) {
      const collections = summary.classes.filter((name) => classes.includes(name));
      if (collections.length === 0) continue;
      const targetNode = plan.get(sourceNode) as string;
      const participant = this.#cluster.participant(targetNode);
      if (!participant) throw new BackupError(ErrorCode.UNAVAILABLE, `node ${targetNode} is not reachable`);
      requests.set(participant, { id, backend, location, sourceNode, collections, cpuPercentage, ...(nodeMapping ? { nodeMapping } : {}) });
    }
    return requests;
  }

  #backupParticipants(): Participant[] {
    return this.#cluster.nodes.map((node) => {
      const participant = this.#cluster.participant(node);
      if (!participant) throw new BackupError(ErrorCode.UNAVAILABLE, `node ${node} is not reachable`);
      return participant;
    });
  }

  /** Each node's filesystem is its own: a cluster backup there could never be restored as a whole. */
  #refuseFilesystemOnCluster(provider: BackupProvider): void {
    if (provider.name === 'filesystem' && this.#cluster.nodes.length > 1) {
      throw new BackupError(
        ErrorCode.NOT_SUPPORTED,
        // The seed's reason, word for word, then what applies here.
        `backup-filesystem works on a single node only: it is only compatible with single-node backups, and this cluster has ` +
          `${this.#cluster.nodes.length} nodes; use backup-gcs, backup-s3 or backup-azure for multi-node backups`,
      );
    }
  }

  #provider(name: string): { provider: BackupProvider; backend: string } {
    if (typeof name !== 'string' || name === '') throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a backend name is required');
    return { provider: this.providers.get(name), backend: backendName(name) };
  }

  #assertStarted(): void {
    if (this.#state === 'new') throw new BackupError(ErrorCode.CONFLICT, 'the backup engine is not started: call start() first');
    if (this.#state === 'closed') throw new BackupError(ErrorCode.UNAVAILABLE, 'the backup engine is closed');
  }

  async #checkAccess(provider: BackupProvider, location: Location): Promise<void> {
    try {
      await provider.initialize({ location });
    } catch (error) {
      const override = location.bucket !== undefined || location.path !== undefined;
      // A request's own Bucket (or Path) that does not exist, or may not be written, is its mistake;
      // the configured one is the operator's.
      if (override && BackupError.is(error, ErrorCode.ACCESS_DENIED)) {
        throw new BackupError(ErrorCode.INVALID_ARGUMENT, `backend ${provider.name} cannot write there: ${error.message}`, { cause: error });
      }
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
      const code = override ? ErrorCode.INVALID_ARGUMENT : ErrorCode.CONFIG;
      throw new BackupError(code, `backend ${provider.name} is not usable: ${error.message}`, { cause: error });
    }
  }

  /** An incremental backup's base must be a SUCCESS backup at the same backend and location: else 422, before anything starts. */
  async #checkBase(provider: BackupProvider, baseId: string, location: Location): Promise<void> {
    let base: GlobalDescriptor;
    try {
      base = await this.#readGlobal(provider, baseId, location);
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `incremental base backup "${baseId}" does not exist at "${provider.homeDir(baseId, location)}"`, {
        cause: error,
      });
    }
    if (base.status !== BackupStatus.SUCCESS) {
      throw new BackupError(
        ErrorCode.INVALID_ARGUMENT,
        `incremental base backup "${baseId}" has status ${base.status}: only a backup with status SUCCESS can be a base`,
      );
    }
    if (await hasDeletionMark(provider, baseId, location)) {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `incremental base backup "${baseId}" is being deleted`);
    }
  }

  async #baseStillThere(provider: BackupProvider, baseId: string, location: Location, signal: AbortSignal): Promise<boolean> {
    if (await hasDeletionMark(provider, baseId, location, signal)) return false;
    try {
      return (await this.#readGlobal(provider, baseId, location)).status === BackupStatus.SUCCESS;
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) return false;
      throw error;
    }
  }

  async #checkIdIsFree(provider: BackupProvider, id: string, location: Location): Promise<void> {
    let existing: GlobalDescriptor | undefined;
    try {
      existing = await this.#readGlobal(provider, id, location);
    } catch (error) {
      if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
      if (await hasDeletionMark(provider, id, location)) {
        throw new BackupError(
          ErrorCode.ALREADY_EXISTS,
          `backup "${id}" was deleted, but other backups still reuse its objects: its id cannot be used again until they are deleted`,
        );
      }
      return;
    }
    if (existing.status !== BackupStatus.CANCELED) {
      throw new BackupError(ErrorCode.ALREADY_EXISTS, `backup "${id}" already exists at "${provider.homeDir(id, location)}"`);
    }
    await removeBackupObjects(provider, id, location, this.#cluster.nodes); // leftovers of the canceled attempt, if any
  }

  async #readGlobal(provider: BackupProvider, id: string, location: Location): Promise<GlobalDescriptor> {
    const key = globalDescriptorKey(id);
    try {
      return decodeGlobalDescriptor(await provider.get(key, { location }), `descriptor of backup ${id}`);
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
        throw new BackupError(ErrorCode.NOT_FOUND, `backup "${id}" does not exist at "${provider.homeDir(id, location)}"`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async #readRestore(provider: BackupProvider, id: string, location: Location): Promise<RestoreDescriptor> {
    const key = restoreDescriptorKey(id);
    try {
      return decodeRestoreDescriptor(await provider.get(key, { location }), `restore descriptor of backup ${id}`);
    } catch (error) {
      if (BackupError.is(error, ErrorCode.NOT_FOUND)) {
        throw new BackupError(ErrorCode.NOT_FOUND, `no restore of backup "${id}" is known at "${provider.homeDir(id, location)}"`, { cause: error });
      }
      throw error;
    }
  }

  async #storeGlobal(
    provider: BackupProvider,
    operation: Operation,
    config: ResolvedBackupConfig,
    nodes: Record<string, NodeSummary>,
    status: BackupStatus = operation.status,
    signal?: AbortSignal,
  ): Promise<void> {
    const descriptor: GlobalDescriptor = {
      version: FORMAT_VERSION,
      id: operation.id,
      backend: operation.backend,
      status,
      error: operation.error,
      startedAt: operation.startedAt.toISOString(),
      ...(operation.completedAt ? { completedAt: operation.completedAt.toISOString() } : {}),
      classes: operation.classes,
      coordinator: this.nodeName,
      nodes,
      compression: config.compression,
      chunkSizeBytes: config.chunkSizeBytes,
      cpuPercentage: config.cpuPercentage,
      preCompressionSizeBytes: operation.sizeBytes,
      ...(config.incrementalBaseBackupId ? { incrementalBaseBackupId: config.incrementalBaseBackupId } : {}),
      ...storedSizes(Object.values(nodes)),
    };
    await provider.put(globalDescriptorKey(operation.id), encodeDescriptor(descriptor), { location: operation.location, signal });
    this.#reconcile(provider);
  }

  async #storeRestore(
    provider: BackupProvider,
    operation: Operation,
    nodeMapping: Record<string, string>,
    status: BackupStatus = operation.status,
    signal?: AbortSignal,
  ): Promise<void> {
    const descriptor: RestoreDescriptor = {
      version: FORMAT_VERSION,
      id: operation.id,
      backend: operation.backend,
      status,
      error: operation.error,
      startedAt: operation.startedAt.toISOString(),
      ...(operation.completedAt ? { completedAt: operation.completedAt.toISOString() } : {}),
      classes: operation.classes,
      nodeMapping,
    };
    await provider.put(restoreDescriptorKey(operation.id), encodeDescriptor(descriptor), { location: operation.location, signal });
    this.#reconcile(provider);
  }

  #journalEntry(operation: Operation, phase: string, stagingDirectories: readonly string[] = [], nodes?: readonly string[]) {
    return {
      ...(nodes ? { nodes } : {}),
      kind: operation.kind as OperationKind,
      id: operation.id,
      backend: operation.backend,
      location: operation.location,
      node: this.nodeName,
      startedAt: operation.startedAt.toISOString(),
      phase,
      stagingDirectories,
    };
  }
}

function validateBaseId(baseId: unknown, id: string): string {
  if (typeof baseId !== 'string' || baseId === '') {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'invalid incremental_base_backup_id: must be a backup id');
  }
  try {
    validateBackupId(baseId);
  } catch (error) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid incremental_base_backup_id: ${describe(error)}`, { cause: error });
  }
  if (baseId === id) throw new BackupError(ErrorCode.INVALID_ARGUMENT, `backup "${id}" cannot be its own incremental base`);
  return baseId;
}

/** Stored bytes uploaded and reused, summed over the nodes that reported them (absent until the backup ended). */
function storedSizes(nodes: readonly NodeSummary[]): { storedSizeBytes?: number; reusedStoredSizeBytes?: number } {
  if (nodes.length === 0 || nodes.some((node) => node.storedSizeBytes === undefined)) return {};
  return {
    storedSizeBytes: nodes.reduce((sum, node) => sum + (node.storedSizeBytes ?? 0), 0),
    reusedStoredSizeBytes: nodes.reduce((sum, node) => sum + (node.reusedStoredSizeBytes ?? 0), 0),
  };
}

function alreadySucceeded(id: string): BackupError {
  return new BackupError(ErrorCode.CONFLICT, `backup "${id}" already succeeded`);
}

/** Waits for `promise` to settle, or `ms`, whichever comes first. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function normalizeLocation(location: Location): Location {
  return {
    ...(location.bucket ? { bucket: location.bucket } : {}),
    ...(location.path ? { path: location.path } : {}),
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
  };
}

function sameLocation(a: Location, b: Location): boolean {
  return (a.bucket ?? '') === (b.bucket ?? '') && (a.path ?? '') === (b.path ?? '');
}

/** The bucket shown to users: the override, else the host part of a `scheme://bucket/...` home. */
function bucketOf(provider: BackupProvider, id: string, location: Location): string {
  if (location.bucket) return location.bucket;
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)/i.exec(provider.homeDir(id, location));
  return match?.[1] ?? '';
}

function nodeSummary(descriptor: NodeDescriptor): NodeSummary {
  return {
    classes: descriptor.collections.map((collection) => collection.name),
    status: descriptor.status,
    error: descriptor.error,
    preCompressionSizeBytes: descriptor.preCompressionSizeBytes,
    storedSizeBytes: descriptor.storedSizeBytes,
    reusedStoredSizeBytes: descriptor.reusedStoredSizeBytes ?? 0,
    skipped: skippedOf(descriptor),
  };
}

function skippedOf(descriptor: NodeDescriptor): SkippedShardReport[] {
  return descriptor.collections.flatMap((collection) =>
    collection.skipped.map((skipped) => ({ collection: collection.name, shard: skipped.shard, reason: skipped.reason })),
  );
}

function backupReport(operation: Operation): BackupStatusReport {
  return {
    id: operation.id,
    backend: operation.backend,
    path: operation.path,
    status: operation.status,
    error: operation.error,
    classes: [...operation.classes],
    startedAt: operation.startedAt,
    completedAt: operation.completedAt,
    sizeBytes: operation.sizeBytes,
    skipped: operation.skipped,
    ...(operation.incrementalBaseBackupId ? { incrementalBaseBackupId: operation.incrementalBaseBackupId } : {}),
    ...(operation.storedBytes ? { bytesUploaded: operation.storedBytes.uploaded, bytesReused: operation.storedBytes.reused } : {}),
    progress: operation.progress(),
  };
}

function restoreReport(operation: Operation): RestoreStatusReport {
  return {
    id: operation.id,
    backend: operation.backend,
    path: operation.path,
    status: operation.status,
    error: operation.error,
    classes: [...operation.classes],
    startedAt: operation.startedAt,
    completedAt: operation.completedAt,
    progress: operation.progress(),
  };
}

function reportFromGlobal(descriptor: GlobalDescriptor, backend: string, path: string): BackupStatusReport {
  return {
    id: descriptor.id,
    backend,
    path,
    status: descriptor.status,
    error: descriptor.error,
    classes: [...descriptor.classes],
    startedAt: parseDate(descriptor.startedAt),
    completedAt: parseDate(descriptor.completedAt),
    sizeBytes: descriptor.preCompressionSizeBytes ?? 0,
    skipped: Object.values(descriptor.nodes ?? {}).flatMap((node) => [...(node.skipped ?? [])]),
    ...(descriptor.incrementalBaseBackupId ? { incrementalBaseBackupId: descriptor.incrementalBaseBackupId } : {}),
    ...(descriptor.storedSizeBytes !== undefined ? { bytesUploaded: descriptor.storedSizeBytes, bytesReused: descriptor.reusedStoredSizeBytes ?? 0 } : {}),
    progress: storedProgress(descriptor),
  };
}

/** What a stored record tells of a backup's progress: its bytes, done once it succeeded. */
function storedProgress(descriptor: GlobalDescriptor): OperationProgress {
  const bytes = descriptor.preCompressionSizeBytes ?? 0;
  const succeeded = descriptor.status === BackupStatus.SUCCESS;
  return {
    bytesDone: bytes,
    bytesTotal: succeeded ? bytes : undefined,
    filesDone: 0,
    filesTotal: undefined,
    chunksDone: 0,
    chunksTotal: undefined,
    bytesPerSecond: 0,
    etaSeconds: succeeded ? 0 : undefined,
  };
}

function codeOf(error: unknown): ErrorCode {
  return BackupError.is(error) ? error.code : ErrorCode.IO;
}

/** Bytes to the GiB the API reports. */
export function toGiB(bytes: number): number {
  return bytes / GIB;
}
