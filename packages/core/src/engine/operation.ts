import type { ErrorCode } from '../errors.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { Location } from '../provider.ts';
import type { ProgressTotals } from './participant.ts';
import type { OperationKind } from './scheduler.ts';
import type { OperationProgress, SkippedShardReport } from './types.ts';

/**
 * In-memory state of a backup or restore running in this process. Its state
 * changes only through the methods below, so every transition is named and
 * every status change reaches `onStatus`.
 */
export class Operation {
  readonly kind: OperationKind;
  readonly id: string;
  readonly backend: string;
  readonly location: Location;
  /** The backup's home as users see it. */
  readonly path: string;
  readonly classes: string[];
  /** An incremental backup's base. */
  readonly incrementalBaseBackupId: string | undefined;
  readonly startedAt = new Date();
  readonly controller = new AbortController();
  /** Told of every status change (the engine turns it into events). */
  onStatus: ((status: BackupStatus, previous: BackupStatus) => void) | undefined;
  /** Totals of the nodes that reported theirs; complete once `plannedNodes === nodeCount`. */
  readonly totals = { bytes: 0, files: 0, chunks: 0 };
  readonly completed = { files: 0, chunks: 0 };
  #status: BackupStatus = BackupStatus.STARTED;
  #error = '';
  #errorCode: ErrorCode | undefined;
  #completedAt: Date | undefined;
  #sizeBytes = 0;
  #plannedNodes = 0;
  #nodeCount = 0;
  #skipped: SkippedShardReport[] = [];
  #storedBytes: { uploaded: number; reused: number } | undefined;
  #cancelRequested = false;
  #finishing = false;
  #recorded = true;
  #done: Promise<void> = Promise.resolve();

  constructor(
    kind: OperationKind,
    id: string,
    backend: string,
    location: Location,
    path: string,
    classes: string[],
    incrementalBaseBackupId?: string | undefined,
  ) {
    this.kind = kind;
    this.id = id;
    this.backend = backend;
    this.location = location;
    this.path = path;
    this.classes = classes;
    this.incrementalBaseBackupId = incrementalBaseBackupId;
  }

  /** Identifies an operation by what the API addresses it with. */
  static key(kind: OperationKind, backend: string, id: string, location: Location): string {
    return JSON.stringify([kind, backend, id, location.bucket ?? '', location.path ?? '']);
  }

  get status(): BackupStatus {
    return this.#status;
  }

  get running(): boolean {
    return !isFinalStatus(this.#status);
  }

  /** Why it failed or was canceled; empty while there is no error. */
  get error(): string {
    return this.#error;
  }

  /** The stable code of `error`; unset while there is none. */
  get errorCode(): ErrorCode | undefined {
    return this.#errorCode;
  }

  get completedAt(): Date | undefined {
    return this.#completedAt;
  }

  /** File bytes (before compression) moved so far; the final size once it ended. */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  get skipped(): SkippedShardReport[] {
    return this.#skipped;
  }

  /** A backup's stored bytes uploaded and reused, once the nodes reported them. */
  get storedBytes(): { uploaded: number; reused: number } | undefined {
    return this.#storedBytes;
  }

  /** Set by a cancel request: the operation ends CANCELED rather than FAILED. */
  get cancelRequested(): boolean {
    return this.#cancelRequested;
  }

  /** Set once the final step began (writing SUCCESS, installing a restore): too late to cancel. */
  get finishing(): boolean {
    return this.#finishing;
  }

  /** False while the final status could not be stored: status reads answer from memory until it is. */
  get recorded(): boolean {
    return this.#recorded;
  }

  /** Settles (never rejects) when the operation has ended and cleaned up. */
  get done(): Promise<void> {
    return this.#done;
  }

  // ------------------------------------------------------------ transitions

  /** The work was handed to `nodeCount` nodes: progress totals are known once each reported its own. */
  dispatched(nodeCount: number): void {
    this.#nodeCount = nodeCount;
  }

  /** The background run that settles when the operation has ended and cleaned up. */
  runs(done: Promise<void>): void {
    this.#done = done;
  }

  /** An intermediate status the nodes reported (TRANSFERRING, TRANSFERRED, FINALIZING). */
  advance(status: BackupStatus): void {
    this.#setStatus(status);
  }

  /** A cancel request: CANCELLING now, CANCELED once the run has cleaned up. */
  requestCancel(reason: Error): void {
    this.#cancelRequested = true;
    this.#setStatus(BackupStatus.CANCELLING);
    this.controller.abort(reason);
  }

  /** The final step began (writing SUCCESS, installing a restore): too late to cancel. */
  beginFinishing(): void {
    this.#finishing = true;
  }

  /** The time it ended; the final status is shown later, by `finish`. */
  complete(at = new Date()): void {
    this.#completedAt = at;
  }

  /** Records why it failed (or was canceled), already redacted. */
  fail(error: string, code: ErrorCode): void {
    this.#error = error;
    this.#errorCode = code;
  }

  /** Shows the final status (recorded in storage first, where that is possible). */
  finish(status: BackupStatus): void {
    this.#setStatus(status);
  }

  /** A bug in the run itself: FAILED, keeping whatever error was already known. */
  failUnexpectedly(error: string, code: ErrorCode): void {
    if (!this.running) return;
    this.#error ||= error;
    this.#errorCode ??= code;
    this.#completedAt ??= new Date();
    this.#setStatus(BackupStatus.FAILED);
  }

  /** What the nodes of a backup reported once they were done. */
  settleBackupResults(results: { sizeBytes: number; skipped: SkippedShardReport[]; storedBytes: { uploaded: number; reused: number } }): void {
    this.#sizeBytes = results.sizeBytes;
    this.#skipped = results.skipped;
    this.#storedBytes = results.storedBytes;
  }

  /** The final status could not be stored: status reads answer from memory until it is. */
  markUnrecorded(): void {
    this.#recorded = false;
  }

  markRecorded(): void {
    this.#recorded = true;
  }

  // --------------------------------------------------------------- progress

  /** File bytes moved by a node. */
  addBytes(bytes: number): void {
    this.#sizeBytes += bytes;
  }

  /** Files and chunks a node finished. */
  addDone(done: { readonly files: number; readonly chunks: number }): void {
    this.completed.files += done.files;
    this.completed.chunks += done.chunks;
  }

  /** Adds one node's totals. */
  planned(totals: ProgressTotals): void {
    this.totals.bytes += totals.bytes;
    this.totals.files += totals.files;
    this.totals.chunks += totals.chunks;
    this.#plannedNodes++;
  }

  /** Bytes, files and chunks done and (once every node knows them) in total, with the rate so far. */
  progress(now = Date.now()): OperationProgress {
    const known = this.#nodeCount > 0 && this.#plannedNodes >= this.#nodeCount;
    const end = this.#completedAt?.getTime() ?? now;
    const seconds = Math.max(0.001, (end - this.startedAt.getTime()) / 1000);
    const bytesPerSecond = Math.round(this.#sizeBytes / seconds);
    const left = known ? Math.max(0, this.totals.bytes - this.#sizeBytes) : undefined;
    return {
      bytesDone: this.#sizeBytes,
      bytesTotal: known ? this.totals.bytes : undefined,
      filesDone: this.completed.files,
      filesTotal: known ? this.totals.files : undefined,
      chunksDone: this.completed.chunks,
      chunksTotal: known ? this.totals.chunks : undefined,
      bytesPerSecond,
      etaSeconds: left === undefined ? undefined : left === 0 ? 0 : bytesPerSecond > 0 ? Math.ceil(left / bytesPerSecond) : undefined,
    };
  }

  #setStatus(status: BackupStatus): void {
    const previous = this.#status;
    if (previous === status) return;
    this.#status = status;
    this.onStatus?.(status, previous);
  }
}
