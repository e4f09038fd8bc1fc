/** What a running operation tells the event bus: started, status changes, bytes, writer stalls, ended. */
import { ErrorCode } from '../errors.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { BackupEvents } from './events.ts';
import type { Operation } from './operation.ts';
import type { TransferProgress } from './participant.ts';

/** Emits `started`, then `status` on every change and `ended` once the operation is final. */
export function observe(events: BackupEvents, node: string, operation: Operation): void {
  const ref = { kind: operation.kind, id: operation.id, backend: operation.backend, node } as const;
  events.emit({ ...ref, type: 'started' });
  operation.onStatus = (status, previous) => {
    events.emit({ ...ref, type: 'status', status, previous });
    if (!isFinalStatus(status)) return;
    const end = operation.completedAt ?? new Date();
    events.emit({
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
export function counting(events: BackupEvents, node: string, operation: Operation): TransferProgress {
  const ref = { kind: operation.kind, id: operation.id, backend: operation.backend, node } as const;
  return {
    onBytes: (bytes) => {
      operation.addBytes(bytes);
      events.emit({ ...ref, type: 'bytes', bytes });
    },
    onPlanned: (totals) => operation.planned(totals),
    onDone: (done) => operation.addDone(done),
  };
}

/** The writer stall of every shard snapshot, as each node recorded it. */
export function reportWriterStalls(events: BackupEvents, operation: Operation, descriptors: readonly NodeDescriptor[]): void {
  for (const descriptor of descriptors) {
    for (const collection of descriptor.collections) {
      for (const shard of collection.shards) {
        if (typeof shard.writerStallMs !== 'number') continue;
        events.emit({
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
