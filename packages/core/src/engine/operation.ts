import type { Location } from '../provider.ts';
import type { OperationKind } from './scheduler.ts';
import { BackupStatus, isFinalStatus } from './status.ts';
import type { SkippedShardReport } from './types.ts';

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
  status: BackupStatus = BackupStatus.STARTED;
  error = '';
  completedAt: Date | undefined;
  sizeBytes = 0;
  skipped: SkippedShardReport[] = [];
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

  get running(): boolean {
    return !isFinalStatus(this.status);
  }

  /** Identifies an operation by what the API addresses it with. */
  static key(kind: OperationKind, backend: string, id: string, location: Location): string {
    return JSON.stringify([kind, backend, id, location.bucket ?? '', location.path ?? '']);
  }
}
