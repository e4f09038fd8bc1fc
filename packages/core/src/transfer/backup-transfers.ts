import { ProviderRegistry, backendName, type ProvidersInput } from '../config/provider-registry.ts';
import { BackupError, ErrorCode } from '../errors.ts';
import { compactLocation } from '../location.ts';
import type { Location } from '../provider.ts';
import { checkRequestLocation } from '../engine/location-check.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { BackupEvent, BackupEvents, OperationRef } from '../engine/events.ts';
import type { RetryPolicy } from '../engine/retry.ts';
import { planCopy, type CopyProgress, type CopyResult } from './copy-backup.ts';
import { planVerify, type VerifyProblem, type VerifyProgress, type VerifyReport } from './verify-backup.ts';

/** A copy to start: the backup `id` on `backend` (at `from`), to `to`. */
export interface CopyJobRequest {
  readonly backend: string;
  readonly id: string;
  readonly from?: Location | undefined;
  readonly to: { readonly backend: string; readonly bucket?: string | undefined; readonly path?: string | undefined };
  readonly concurrency?: number | undefined;
  readonly verifyExisting?: boolean | undefined;
  /** Let the backend copy each chunk itself between two locations of one provider (see `CopyBackupOptions.serverSideCopy`). */
  readonly serverSideCopy?: boolean | undefined;
}

interface JobBase {
  readonly id: string;
  readonly backend: string;
  /** The backup's home at the source (for a copy) or where it is verified. */
  readonly path: string;
  /** STARTED, TRANSFERRING (copy only), SUCCESS, FAILED or CANCELED. */
  readonly status: BackupStatus;
  readonly error: string;
  readonly startedAt: Date;
  readonly completedAt: Date | undefined;
}

export interface CopyJobStatus extends JobBase {
  readonly to: { readonly backend: string; readonly path: string };
  readonly progress: CopyProgress;
  /** Set once the copy succeeded. */
  readonly result: CopyResult | undefined;
}

export interface VerifyJobStatus extends JobBase {
  readonly progress: VerifyProgress;
  /** Problems found so far (all of them once the job ended); SUCCESS means none. */
  readonly problems: readonly VerifyProblem[];
  /** Set once the verification ran to its end. */
  readonly report: VerifyReport | undefined;
}

type Kind = 'copy' | 'verify';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Job<S> {
  status: S;
  readonly controller: AbortController;
  cancelRequested: boolean;
  done: Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Copies and verifications of stored backups as background jobs with a
 * status, the way backups themselves run: `startCopy` and `startVerify` check
 * everything that can be refused at once and resolve STARTED; the work goes
 * on, `copyStatus` / `verifyStatus` tell how far it got, `cancel*` stop it.
 * A job is known by its backend, id and location (bucket/path overrides); one
 * copy and one verification of the same backup run at a time, and a
 * destination receives one copy at a time. Statuses live in memory: after a
 * restart they are gone (a copy is resumed by starting it again).
 */
export class BackupTransfers {
  readonly #providers: ProviderRegistry;
  readonly #copies = new Map<string, Job<Mutable<CopyJobStatus>>>();
  readonly #verifications = new Map<string, Job<Mutable<VerifyJobStatus>>>();
  /** Destinations with a copy running, so two copies never write the same backup. */
  readonly #destinations = new Set<string>();
  /** Jobs between their checks and their start, so that two requests cannot both pass the checks. */
  readonly #starting = new Set<string>();
  #closed = false;

  readonly #events: BackupEvents | undefined;
  readonly #node: string;
  readonly #retry: RetryPolicy | undefined;

  /**
   * `events`: where jobs report started, status changes and their end (see `BackupEvent`), as `node`.
   * `retry`: how copies retry transient failures (default `DEFAULT_RETRY_POLICY`), e.g. the engine's.
   */
  constructor(providers: ProvidersInput, options: { readonly events?: BackupEvents; readonly node?: string; readonly retry?: RetryPolicy } = {}) {
    this.#providers = ProviderRegistry.from(providers);
    this.#events = options.events;
    this.#node = options.node ?? '';
    this.#retry = options.retry;
  }

  #emit(kind: 'copy' | 'verify', status: JobBase, event: DistributiveOmit<BackupEvent, keyof OperationRef>): void {
    this.#events?.emit({ kind, id: status.id, backend: status.backend, node: this.#node, ...event } as BackupEvent);
  }

  /** The `ended` event of a job, once its final status is set. */
  #emitEnd(kind: 'copy' | 'verify', status: JobBase, bytes: number, error?: unknown): void {
    this.#emit(kind, status, {
      type: 'ended',
      status: status.status,
      bytes,
      durationMs: (status.completedAt ?? new Date()).getTime() - status.startedAt.getTime(),
      ...(status.status === BackupStatus.SUCCESS
        ? {}
        : {
            errorCode: BackupError.is(error)
              ? error.code
              : status.status === BackupStatus.CANCELED
                ? ErrorCode.ABORTED
                : error === undefined
                  ? ErrorCode.CORRUPT
                  : ErrorCode.IO,
          }),
      error: status.error,
    });
  }

  /**
   * Starts copying a finished backup (see `copyBackup`). Rejects before
   * anything is copied with the refusals of `planCopy`, and with CONFLICT
   * while a copy of the same backup, or to the same destination, runs.
   */
  async startCopy(request: CopyJobRequest): Promise<CopyJobStatus> {
    this.#assertOpen();
    const backend = backendName(request.backend);
    const provider = this.#providers.get(request.backend);
    const toBackend = backendName(request.to.backend);
    const toProvider = this.#providers.get(request.to.backend);
    const from = compactLocation(request.from);
    const to = compactLocation(request.to);
    const key = jobKey(backend, request.id, from);
    const destination = jobKey(toBackend, request.id, to);
    // Before the idle check: nothing may await between it and `#starting.add`.
    await checkRequestLocation(provider, from, { bucket: 'from.bucket', path: 'from.path' });
    await checkRequestLocation(toProvider, to, { bucket: 'to.bucket', path: 'to.path' });
    this.#assertIdle(this.#copies, key, 'copy', request.id);
    if (this.#destinations.has(destination)) {
      throw new BackupError(ErrorCode.CONFLICT, `a copy to ${toProvider.homeDir(request.id, to)} is already running`);
    }

    const controller = new AbortController();
    this.#destinations.add(destination);
    this.#starting.add(`copy ${key}`);
    let plan;
    try {
      plan = await planCopy({
        id: request.id,
        from: { provider, location: from },
        to: { provider: toProvider, location: to },
        signal: controller.signal,
        concurrency: request.concurrency,
        verifyExisting: request.verifyExisting,
        serverSideCopy: request.serverSideCopy,
        retry: this.#retry,
        onProgress: (progress) => {
          const job = this.#copies.get(key);
          if (job?.controller !== controller) return;
          if (progress.bytesDone > job.status.progress.bytesDone) {
            this.#emit('copy', job.status, { type: 'bytes', bytes: progress.bytesDone - job.status.progress.bytesDone });
          }
          job.status.progress = progress;
          if (job.status.status === BackupStatus.STARTED) {
            job.status.status = BackupStatus.TRANSFERRING;
            this.#emit('copy', job.status, { type: 'status', status: BackupStatus.TRANSFERRING, previous: BackupStatus.STARTED });
          }
        },
      });
    } catch (error) {
      this.#destinations.delete(destination);
      throw error;
    } finally {
      this.#starting.delete(`copy ${key}`);
    }
    const chunks = plan.manifest.chunks.length;
    const job: Job<Mutable<CopyJobStatus>> = {
      controller,
      cancelRequested: false,
      done: Promise.resolve(),
      status: {
        id: plan.id,
        backend,
        path: plan.from,
        to: { backend: toBackend, path: plan.to },
        status: BackupStatus.STARTED,
        error: '',
        startedAt: new Date(),
        completedAt: undefined,
        progress: { objects: chunks + plan.manifest.nodes.length + 1, objectsDone: 0, objectsSkipped: 0, bytes: plan.manifest.storedBytes, bytesDone: 0 },
        result: undefined,
      },
    };
    this.#copies.set(key, job);
    this.#emit('copy', job.status, { type: 'started' });
    const answer = snapshotOf(job.status); // STARTED, as a created backup answers
    // Everything about the end is set in one step, the final status last: a status read never
    // sees SUCCESS without its completion time, nor the destination still taken.
    const settle = (): void => {
      job.status.completedAt = new Date();
      this.#destinations.delete(destination);
    };
    job.done = plan.run().then(
      (result) => {
        job.status.result = result;
        settle();
        job.status.status = BackupStatus.SUCCESS;
        this.#emitEnd('copy', job.status, job.status.progress.bytesDone);
      },
      (error: unknown) => {
        settle();
        this.#ended(job, error);
        this.#emitEnd('copy', job.status, job.status.progress.bytesDone, error);
      },
    );
    return answer;
  }

  /** The running or last copy of backup `id` from `backend` (at `location`); NOT_FOUND if there is none. */
  copyStatus(backend: string, id: string, location: Location = {}): CopyJobStatus {
    return snapshotOf(this.#find(this.#copies, 'copy', backend, id, location).status);
  }

  /**
   * Cancels a running copy and resolves once it stopped (CANCELED). The chunks
   * it copied stay at the destination, without descriptors, for a later
   * resume. CONFLICT if it already succeeded; a no-op if it ended otherwise.
   */
  async cancelCopy(backend: string, id: string, location: Location = {}): Promise<void> {
    await this.#cancel(this.#find(this.#copies, 'copy', backend, id, location), 'copy', id);
  }

  /**
   * Starts verifying a stored backup (see `verifyBackup`). The job ends
   * SUCCESS when the backup is sound, FAILED with every problem listed when
   * it is not (or when verification could not finish).
   */
  async startVerify(backend: string, id: string, location: Location = {}): Promise<VerifyJobStatus> {
    this.#assertOpen();
    const name = backendName(backend);
    const provider = this.#providers.get(backend);
    const where = compactLocation(location);
    const key = jobKey(name, id, where);
    await checkRequestLocation(provider, where, { bucket: 'bucket', path: 'path' });
    this.#assertIdle(this.#verifications, key, 'verification', id);
    const controller = new AbortController();
    let progressOf: (progress: VerifyProgress) => void = () => {};
    // Refusals that need no chunk read (bad id, no such backup) are the caller's answer, not a job.
    this.#starting.add(`verification ${key}`);
    let plan;
    try {
      plan = await planVerify({
        id,
        provider,
        location: where,
        signal: controller.signal,
        onProgress: (progress) => progressOf(progress),
      });
    } finally {
      this.#starting.delete(`verification ${key}`);
    }
    const job: Job<Mutable<VerifyJobStatus>> = {
      controller,
      cancelRequested: false,
      done: Promise.resolve(),
      status: {
        id: plan.id,
        backend: name,
        path: plan.path,
        status: BackupStatus.STARTED,
        error: '',
        startedAt: new Date(),
        completedAt: undefined,
        progress: { chunks: 0, chunksChecked: 0, bytes: 0, bytesChecked: 0 },
        problems: [],
        report: undefined,
      },
    };
    progressOf = (progress) => {
      if (progress.bytesChecked > job.status.progress.bytesChecked) {
        this.#emit('verify', job.status, { type: 'bytes', bytes: progress.bytesChecked - job.status.progress.bytesChecked });
      }
      job.status.progress = progress;
    };
    this.#verifications.set(key, job);
    this.#emit('verify', job.status, { type: 'started' });
    // As for copies: one step, the final status last.
    job.done = plan.run().then(
      (report) => {
        job.status.report = report;
        job.status.problems = report.problems;
        job.status.error = report.ok ? '' : summarize(id, report.problems);
        job.status.completedAt = new Date();
        job.status.status = report.ok ? BackupStatus.SUCCESS : BackupStatus.FAILED;
        // A backup that fails verification is CORRUPT.
        this.#emitEnd('verify', job.status, job.status.progress.bytesChecked);
      },
      (error: unknown) => {
        job.status.completedAt = new Date();
        this.#ended(job, error);
        this.#emitEnd('verify', job.status, job.status.progress.bytesChecked, error);
      },
    );
    return snapshotOf(job.status);
  }

  /** The running or last verification of backup `id` on `backend`; NOT_FOUND if there is none. */
  verifyStatus(backend: string, id: string, location: Location = {}): VerifyJobStatus {
    return snapshotOf(this.#find(this.#verifications, 'verification', backend, id, location).status);
  }

  /** Cancels a running verification (CANCELED). CONFLICT if it already succeeded; a no-op if it ended otherwise. */
  async cancelVerify(backend: string, id: string, location: Location = {}): Promise<void> {
    await this.#cancel(this.#find(this.#verifications, 'verification', backend, id, location), 'verification', id);
  }

  /** Aborts every running job (each ends FAILED: "shutting down") and waits for them. Providers stay open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const jobs = [...this.#copies.values(), ...this.#verifications.values()];
    for (const job of jobs) {
      if (!isFinalStatus(job.status.status)) {
        job.controller.abort(new BackupError(ErrorCode.ABORTED, 'the node shut down while the job was running'));
      }
    }
    await Promise.all(jobs.map((job) => job.done));
  }

  #ended(job: Job<{ status: BackupStatus; error: string }>, error: unknown): void {
    job.status.status = job.cancelRequested ? BackupStatus.CANCELED : BackupStatus.FAILED;
    const reason = job.controller.signal.aborted ? job.controller.signal.reason : error;
    job.status.error = reason instanceof Error ? reason.message : String(reason);
  }

  async #cancel(job: Job<{ status: BackupStatus }>, what: Kind | 'verification', id: string): Promise<void> {
    if (job.status.status === BackupStatus.SUCCESS) {
      throw new BackupError(ErrorCode.CONFLICT, `the ${what} of backup "${id}" already succeeded`);
    }
    if (isFinalStatus(job.status.status)) return;
    job.cancelRequested = true;
    job.controller.abort(new BackupError(ErrorCode.ABORTED, `the ${what} of backup "${id}" was canceled`));
    await job.done;
  }

  #find<S>(jobs: Map<string, Job<S>>, what: string, backend: string, id: string, location: Location): Job<S> {
    this.#providers.get(backend);
    const job = jobs.get(jobKey(backendName(backend), id, compactLocation(location)));
    if (!job) throw new BackupError(ErrorCode.NOT_FOUND, `no ${what} of backup "${id}" on ${backendName(backend)} is known`);
    return job;
  }

  #assertIdle<S extends { status: BackupStatus }>(jobs: Map<string, Job<S>>, key: string, what: string, id: string): void {
    const running = jobs.get(key);
    if (this.#starting.has(`${what} ${key}`) || (running && !isFinalStatus(running.status.status))) {
      throw new BackupError(ErrorCode.CONFLICT, `a ${what} of backup "${id}" is already running`);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new BackupError(ErrorCode.UNAVAILABLE, 'backup transfers are shut down');
  }
}

function jobKey(backend: string, id: string, location: Location): string {
  return JSON.stringify([backend, id, location.bucket ?? '', location.path ?? '']);
}

function snapshotOf<S extends object>(status: S): S {
  return { ...status };
}

function summarize(id: string, problems: readonly VerifyProblem[]): string {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `backup ${id} failed verification: ${first?.message ?? 'unknown problem'}${more}`;
}
