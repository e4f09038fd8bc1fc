import { BackupError, ErrorCode } from '../errors.ts';

export type OperationKind = 'backup' | 'restore';

/** A held slot; `release` is idempotent. */
export interface Slot {
  readonly kind: OperationKind;
  readonly id: string;
  release(): void;
}

/**
 * One backup and one restore at a time per node (they may run side by side).
 * Acquiring is synchronous, so two requests racing for the slot cannot both
 * pass their checks.
 */
export class Scheduler {
  readonly #held = new Map<OperationKind, string>();

  /** Takes the slot for `kind`, or throws CONFLICT (HTTP 422) naming what holds it. */
  acquire(kind: OperationKind, id: string): Slot {
    const running = this.#held.get(kind);
    if (running !== undefined) {
      throw new BackupError(ErrorCode.CONFLICT, `${kind} ${running} already in progress`);
    }
    this.#held.set(kind, id);
    let released = false;
    return {
      kind,
      id,
      release: () => {
        if (released) return;
        released = true;
        if (this.#held.get(kind) === id) this.#held.delete(kind);
      },
    };
  }

  /** The id holding the slot for `kind`, if any. */
  running(kind: OperationKind): string | undefined {
    return this.#held.get(kind);
  }
}
