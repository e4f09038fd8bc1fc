import type { ErrorCode } from '../errors.ts';
import type { BackupStatus } from '../format/status.ts';

/** What an event is about: the operation, its backend, and the node reporting it. */
export interface OperationRef {
  readonly kind: 'backup' | 'restore' | 'copy' | 'verify';
  readonly id: string;
  /** Backend name without the `backup-` prefix, e.g. `s3`. */
  readonly backend: string;
  readonly node: string;
}

/**
 * Everything `@backup/core` reports about running work, as plain data: the
 * server turns these into Prometheus metrics and log lines, a library user
 * wires their own. No event carries a secret: errors are the operation's
 * message and stable code only.
 */
export type BackupEvent =
  | (OperationRef & { readonly type: 'started' })
  | (OperationRef & { readonly type: 'status'; readonly status: BackupStatus; readonly previous: BackupStatus })
  /** File bytes (before compression) packed or restored since the last `bytes` event of the operation. */
  | (OperationRef & { readonly type: 'bytes'; readonly bytes: number })
  | (OperationRef & { readonly type: 'chunkRetried'; readonly key: string; readonly attempt: number; readonly errorCode: ErrorCode })
  | (OperationRef & { readonly type: 'chunkFailed'; readonly key: string; readonly errorCode: ErrorCode })
  /** How long one snapshot held the shard's writers (the memtable swap), once per shard of a backup. */
  | (OperationRef & { readonly type: 'writerStall'; readonly collection: string; readonly shard: string; readonly ms: number })
  | (OperationRef & {
      readonly type: 'ended';
      readonly status: BackupStatus;
      /** Bytes the operation moved (before compression; stored bytes for copy and verify). */
      readonly bytes: number;
      readonly durationMs: number;
      /** Set unless it ended SUCCESS. */
      readonly errorCode?: ErrorCode | undefined;
      readonly error: string;
    });

export type BackupEventListener = (event: BackupEvent) => void;

/**
 * A synchronous observer list. A listener that throws is dropped from that
 * event only: observing must never change the outcome of a backup.
 */
export class BackupEvents {
  readonly #listeners = new Set<BackupEventListener>();

  /** Adds a listener; returns the function that removes it. */
  on(listener: BackupEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.off(listener);
  }

  off(listener: BackupEventListener): void {
    this.#listeners.delete(listener);
  }

  emit(event: BackupEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // An observer's bug is not the operation's failure.
      }
    }
  }
}
