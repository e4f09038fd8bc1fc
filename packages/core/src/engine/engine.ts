import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ProviderRegistry, backendName } from '../config/provider-registry.ts';
import { BackupError, ErrorCode } from '../errors.ts';
import { compactLocation } from '../location.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { deleteBackupFromStorage, type DeletionReport } from './backup-deletion.ts';
import { cancelBackup, startBackup } from './backup-flow.ts';
import { abortBackupEverywhere, DEFAULT_CAN_COMMIT_TIMEOUT_MS } from './coordinator.ts';
import { describe, type EngineContext } from './engine-context.ts';
import type { BackupEngineOptions, WaitForOptions } from './engine-options.ts';
import { BackupEvents } from './events.ts';
import { Journal } from './journal.ts';
import { LocalParticipant } from './local-participant.ts';
import { answersFromMemory, OperationRegistry } from './operation-registry.ts';
import { recoverInterrupted, type RecoveryReport } from './recovery.ts';
import { backupStatus, listBackups, restoreStatus } from './reports.ts';
import { MAX_CPU_PERCENTAGE, pipelineCount, validateBackupId } from './request-validation.ts';
import { cancelRestore, startRestore } from './restore-flow.ts';
import { planRetention, type RetentionPolicy } from './retention.ts';
import { resolveRetryPolicy, type RetryPolicy } from './retry.ts';
import { Scheduler } from './scheduler.ts';
import { StatusRecorder } from './status-recorder.ts';
import { threadPoolShortfall } from './thread-pool.ts';
import type {
  BackupStatusReport,
  CreateBackupRequest,
  CreateBackupResult,
  ListBackupsOptions,
  RestoreRequest,
  RestoreResult,
  RestoreStatusReport,
} from './types.ts';
import { waitForFinal } from './wait-for.ts';

const GIB = 1024 ** 3;

/**
 * Backups and restores of one node: validates requests, schedules one backup
 * and one restore at a time, coordinates the participants, records every
 * status in the storage backend, and on `start()` ends whatever a previous
 * process left running. Framework-neutral; `createBackupApi` puts HTTP on it.
 *
 * A facade: the backup flow is in backup-flow.ts, the restore flow in
 * restore-flow.ts, status storage in status-recorder.ts, the status answers
 * in reports.ts, deletion in backup-deletion.ts.
 */
export class BackupEngine {
  readonly nodeName: string;
  readonly providers: ProviderRegistry;
  /** Operation started, status changed, bytes, chunk retried/failed, writer stall, ended: see `BackupEvent`. */
  readonly events: BackupEvents;
  /** The redaction applied to recorded errors (identity when none was given). */
  readonly redact: (text: string) => string;
  readonly #context: EngineContext;
  readonly #stateDir: string;
  readonly #cpuCount: number;
  /** This node's participant: its worker threads end with the engine. */
  readonly #local: LocalParticipant;
  /** Deletions of this engine run one at a time (each reads every descriptor). */
  #deletions: Promise<unknown> = Promise.resolve();
  #state: 'new' | 'started' | 'closed' = 'new';

  /** How transient storage failures are retried (the `retry` option, resolved); copies started through the API use it too. */
  get retry(): RetryPolicy {
    return this.#context.retry;
  }

  constructor(options: BackupEngineOptions) {
    this.providers = ProviderRegistry.from(options.providers);
    this.nodeName = options.nodeName ?? options.source.nodeName;
    this.#stateDir = options.stateDir;
    this.#cpuCount = options.cpuCount ?? availableParallelism();
    const journal = new Journal(join(options.stateDir, 'journal'));
    const logger = options.logger ?? { warn: (message: string) => process.emitWarning(message, 'BackupEngine') };
    const retry = resolveRetryPolicy(options.retry);
    this.events = options.events ?? new BackupEvents();
    this.redact = options.redact ?? ((text) => text);
    const local = new LocalParticipant({
      source: options.source,
      providers: this.providers,
      node: this.nodeName,
      cpuCount: this.#cpuCount,
      retry,
      events: this.events,
      encryptionKey: options.encryptionKey,
      workerThreads: options.workerThreads,
    });
    this.#local = local;
    this.#context = {
      nodeName: this.nodeName,
      source: options.source,
      cluster: options.cluster ?? {
        nodes: [this.nodeName],
        participant: (node) => (node === this.nodeName ? local : undefined),
      },
      scheduler: new Scheduler(),
      operations: new OperationRegistry(),
      journal,
      records: new StatusRecorder({ nodeName: this.nodeName, journal, retry, logger }),
      events: this.events,
      logger,
      retry,
      redact: this.redact,
      canCommitTimeoutMs: options.canCommitTimeoutMs ?? DEFAULT_CAN_COMMIT_TIMEOUT_MS,
      cancelWaitMs: options.cancelWaitMs ?? 900,
    };
  }

  /**
   * Prepares the state directory and ends every operation a previous process
   * left running (FAILED with a reason, partial objects and staged files
   * removed). Call once before serving requests.
   */
  async start(): Promise<RecoveryReport> {
    if (this.#state !== 'new') throw new BackupError(ErrorCode.CONFLICT, 'the backup engine was already started');
    const { journal, logger, cluster } = this.#context;
    await mkdir(this.#stateDir, { recursive: true });
    const shortfall = threadPoolShortfall(pipelineCount(this.#cpuCount, MAX_CPU_PERCENTAGE), this.#cpuCount);
    if (shortfall) logger.warn(shortfall);
    const report = await recoverInterrupted(journal, this.providers);
    for (const item of report.recovered) logger.info?.(`${item.kind} ${item.id} was interrupted by a restart: now FAILED`);
    for (const item of report.pending) {
      logger.warn(`could not settle interrupted ${item.kind} ${item.id} on ${item.backend}: ${item.reason}`);
    }
    // Participants of an interrupted backup abort on their own once nobody polls them; telling them is faster.
    const peers = cluster.nodes.flatMap((node) => cluster.participant(node) ?? []);
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
    const running = this.#context.operations.running();
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
    return startBackup(this.#context, provider, backend, request);
  }

  /** Status of a backup: the running one in memory, else its stored descriptor. NOT_FOUND if there is none. */
  async backupStatus(backend: string, id: string, location: Location = {}): Promise<BackupStatusReport> {
    const { provider, backend: name } = this.#provider(backend);
    return backupStatus(this.#context, provider, name, id, normalizeLocation(location));
  }

  /** Every backup stored at the backend's root, by start time (default newest first). */
  async listBackups(backend: string, options: ListBackupsOptions = {}): Promise<BackupStatusReport[]> {
    const { provider, backend: name } = this.#provider(backend);
    return listBackups(this.#context, provider, name, normalizeLocation(options.location ?? {}), options.order);
  }

  /**
   * Cancels a backup: a running one is aborted (snapshots released, uploads
   * aborted, partial objects removed) and ends CANCELED before this resolves.
   * CONFLICT if it already succeeded; a no-op if it already ended otherwise.
   */
  async cancelBackup(backend: string, id: string, location: Location = {}): Promise<void> {
    const { provider, backend: name } = this.#provider(backend);
    return cancelBackup(this.#context, provider, name, id, normalizeLocation(location));
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
    const operation = this.#context.operations.get('backup', name, id, where);
    if (operation && answersFromMemory(operation)) {
      throw new BackupError(ErrorCode.CONFLICT, `backup "${id}" is ${operation.status}: cancel it first, then delete it`);
    }
    const run = this.#deletions.then(() => deleteBackupFromStorage(provider, id, where));
    this.#deletions = run.catch(() => {});
    const report = await run;
    if (operation) this.#context.operations.delete('backup', name, id, where);
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
    return startRestore(this.#context, provider, backend, request);
  }

  /** Status of the last restore of a backup. NOT_FOUND if it was never restored. */
  async restoreStatus(backend: string, id: string, location: Location = {}): Promise<RestoreStatusReport> {
    const { provider, backend: name } = this.#provider(backend);
    return restoreStatus(this.#context, provider, name, id, normalizeLocation(location));
  }

  /**
   * Cancels a running restore: downloads stop, staged files are removed,
   * nothing is installed; it ends CANCELED before this resolves. CONFLICT
   * once installing began or after SUCCESS.
   */
  async cancelRestore(backend: string, id: string, location: Location = {}): Promise<void> {
    const { provider, backend: name } = this.#provider(backend);
    return cancelRestore(this.#context, provider, name, id, normalizeLocation(location));
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
    const { location = {} } = options;
    const read = (): Promise<BackupStatusReport | RestoreStatusReport> =>
      kind === 'backup' ? this.backupStatus(backend, id, location) : this.restoreStatus(backend, id, location);
    return waitForFinal(this.events, { kind, backend: backendName(backend), id }, read, options);
  }

  #provider(name: string): { provider: BackupProvider; backend: string } {
    if (typeof name !== 'string' || name === '') throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a backend name is required');
    return { provider: this.providers.get(name), backend: backendName(name) };
  }

  #assertStarted(): void {
    if (this.#state === 'new') throw new BackupError(ErrorCode.CONFLICT, 'the backup engine is not started: call start() first');
    if (this.#state === 'closed') throw new BackupError(ErrorCode.UNAVAILABLE, 'the backup engine is closed');
  }
}

function normalizeLocation(location: Location): Location {
  return { ...compactLocation(location), ...(location.endpoint ? { endpoint: location.endpoint } : {}) };
}

/** Bytes to the GiB the API reports. */
export function toGiB(bytes: number): number {
  return bytes / GIB;
}
