import type { Location } from '../provider.ts';
import type { OperationKind } from './scheduler.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { ErrorCode } from '../errors.ts';
import type { ProgressTotals } from './participant.ts';
import type { OperationProgress, SkippedShardReport } from './types.ts';

/** In-memory state of a backup or restore running in this process. */
export class Operation {
  readonly kind: OperationKind;
  readonly id: string;
  readonly backend: string;
  readonly location: Location;
  /** The backup's home as users see it. */
  readonly path: string;
  readonly classes: string[];
  readonly startedAt = new Date();
  readonly controller = new AbortController();
  #status: BackupStatus = BackupStatus.STARTED;
  /** Told of every status change (the engine turns it into events). */
  onStatus: ((status: BackupStatus, previous: BackupStatus) => void) | undefined;
  error = '';
  /** The stable code of `error`; unset while there is none. */
  errorCode: ErrorCode | undefined;
  completedAt: Date | undefined;
  /** File bytes (before compression) moved so far; the final size once it ended. */
  sizeBytes = 0;
  /** Totals of the nodes that reported theirs; complete once `plannedNodes === nodeCount`. */
  readonly totals = { bytes: 0, files: 0, chunks: 0 };
  readonly completed = { files: 0, chunks: 0 };
  plannedNodes = 0;
  /** Nodes taking part, set when the work is handed to them. */
  nodeCount = 0;
  skipped: SkippedShardReport[] = [];
  /** An incremental backup's base, and its stored bytes uploaded and reused once the nodes reported them. */
  incrementalBaseBackupId: string | undefined;
  storedBytes: { uploaded: number; reused: number } | undefined;
  /** Set by a cancel request: the operation ends CANCELED rather than FAILED. */
  cancelRequested = false;
  /** Set once the final step began (writing SUCCESS, installing a restore): too late to cancel. */
  finishing = false;
  /** False while the final status could not be stored: status reads answer from memory until it is. */
  recorded = true;
  /** Settles (never rejects) when the operation has ended and cleaned up. */
  done: Promise<void> = Promise.resolve();

  constructor(kind: OperationKind, id: string, backend: string, location: Location, path: string, classes: string[]) {
    this.kind = kind;
    this.id = id;
    this.backend = backend;
    this.location = location;
    this.path = path;
    this.classes = classes;
  }

  get status(): BackupStatus {
    return this.#status;
  }

  set status(status: BackupStatus) {
    const previous = this.#status;
    if (previous === status) return;
    this.#status = status;
    this.onStatus?.(status, previous);
  }

  /** Adds one node's totals. */
  planned(totals: ProgressTotals): void {
    this.totals.bytes += totals.bytes;
    this.totals.files += totals.files;
    this.totals.chunks += totals.chunks;
    this.plannedNodes++;
  }

  /** Bytes, files and chunks done and (once every node knows them) in total, with the rate so far. */
  progress(now = Date.now()): OperationProgress {
    const known = this.nodeCount > 0 && this.plannedNodes >= this.nodeCount;
    const end = this.completedAt?.getTime() ?? now;
    const seconds = Math.max(0.001, (end - this.startedAt.getTime()) / 1000);
    const bytesPerSecond = Math.round(this.sizeBytes / seconds);
    const left = known ? Math.max(0, this.totals.bytes - this.sizeBytes) : undefined;
    return {
      bytesDone: this.sizeBytes,
      bytesTotal: known ? this.totals.bytes : undefined,
      filesDone: this.completed.files,
      filesTotal: known ? this.totals.files : undefined,
      chunksDone: this.completed.chunks,
      chunksTotal: known ? this.totals.chunks : undefined,
      bytesPerSecond,
      etaSeconds: left === undefined ? undefined : left === 0 ? 0 : bytesPerSecond > 0 ? Math.ceil(left / bytesPerSecond) : undefined,
    };
  }

  get running(): boolean {
    return !isFinalStatus(this.status);
  }

  /** Identifies an operation by what the API addresses it with. */
  static key(kind: OperationKind, backend: string, id: string, location: Location): string {
    return JSON.stringify([kind, backend, id, location.bucket ?? '', location.path ?? '']);
  }
}
