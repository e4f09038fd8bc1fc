import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BackupEvent, BackupEvents } from '@backup/core';

/** Durations from 100 ms to an hour, in ms as Weaviate's backup histograms. */
const DURATION_BUCKETS_MS = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];
/** A writer stall is a memtable swap: from sub-millisecond to a slow disk's seconds. */
const STALL_BUCKETS_MS = [0.1, 0.5, 1, 5, 10, 50, 100, 500, 1_000, 5_000];

/** Per-kind metric names: Weaviate's for backups and restores, the same pattern for copy and verify. */
const BYTES: Record<BackupEvent['kind'], string> = {
  backup: 'backup_store_data_transferred',
  restore: 'backup_restore_data_transferred',
  copy: 'backup_copy_data_transferred',
  verify: 'backup_verify_data_checked',
};
const DURATION: Record<BackupEvent['kind'], string> = {
  backup: 'backup_store_ms',
  restore: 'backup_restore_ms',
  copy: 'backup_copy_ms',
  verify: 'backup_verify_ms',
};

export interface BackupMetrics {
  readonly registry: Registry;
  /** Stops listening to the events. */
  close(): void;
}

/**
 * Prometheus metrics from a node's backup events, in a registry of its own
 * (a process may run several nodes, e.g. in tests). Labels are bounded:
 * backend, node, kind, final status, error code and class, never an id.
 */
export function createBackupMetrics(events: BackupEvents, options: { readonly defaultMetrics?: boolean } = {}): BackupMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const labels = ['backend_name', 'node'] as const;
  const bytes = Object.fromEntries(
    Object.entries(BYTES).map(([kind, name]) => [
      kind,
      new Counter({ name, help: `File bytes (before compression) moved by ${kind} operations`, labelNames: labels, registers: [registry] }),
    ]),
  ) as Record<BackupEvent['kind'], Counter<(typeof labels)[number]>>;
  const durations = Object.fromEntries(
    Object.entries(DURATION).map(([kind, name]) => [
      kind,
      new Histogram({
        name,
        help: `Duration of ${kind} operations from start to their final status, in ms`,
        labelNames: [...labels, 'status'],
        buckets: DURATION_BUCKETS_MS,
        registers: [registry],
      }),
    ]),
  ) as Record<BackupEvent['kind'], Histogram<(typeof labels)[number] | 'status'>>;
  const operations = new Counter({
    name: 'backup_operations_total',
    help: 'Operations ended, by kind and final status (SUCCESS, FAILED, CANCELED) and error code',
    labelNames: ['kind', ...labels, 'status', 'error_code'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'backup_operations_in_flight',
    help: 'Operations running now, by kind',
    labelNames: ['kind', ...labels],
    registers: [registry],
  });
  const retried = new Counter({
    name: 'backup_chunks_retried_total',
    help: 'Chunk uploads (backups) and reads (restores) retried after a transient failure',
    labelNames: ['kind', ...labels, 'error_code'],
    registers: [registry],
  });
  const failed = new Counter({
    name: 'backup_chunks_failed_total',
    help: 'Chunk uploads and reads given up after their retries, or refused (e.g. CORRUPT)',
    labelNames: ['kind', ...labels, 'error_code'],
    registers: [registry],
  });
  const stall = new Histogram({
    name: 'backup_writer_stall_ms',
    help: 'How long a snapshot held the writers of one shard (memtable swap), in ms',
    labelNames: [...labels, 'class_name'],
    buckets: STALL_BUCKETS_MS,
    registers: [registry],
  });

  const off = events.on((event) => {
    const base = { backend_name: event.backend, node: event.node };
    switch (event.type) {
      case 'started':
        inFlight.inc({ kind: event.kind, ...base });
        return;
      case 'bytes':
        bytes[event.kind].inc(base, event.bytes);
        return;
      case 'chunkRetried':
        retried.inc({ kind: event.kind, ...base, error_code: event.errorCode });
        return;
      case 'chunkFailed':
        failed.inc({ kind: event.kind, ...base, error_code: event.errorCode });
        return;
      case 'writerStall':
        stall.observe({ ...base, class_name: event.collection }, event.ms);
        return;
      case 'ended':
        inFlight.dec({ kind: event.kind, ...base });
        durations[event.kind].observe({ ...base, status: event.status }, event.durationMs);
        operations.inc({ kind: event.kind, ...base, status: event.status, error_code: event.errorCode ?? '' });
        return;
      case 'status':
        return;
    }
  });
  return { registry, close: off };
}
