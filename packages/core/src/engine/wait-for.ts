import { throwIfAborted } from '../errors.ts';
import { isFinalStatus } from '../format/status.ts';
import type { WaitForOptions } from './engine-options.ts';
import type { BackupEvents } from './events.ts';
import type { OperationKind } from './scheduler.ts';
import type { BackupStatusReport, RestoreStatusReport } from './types.ts';

/**
 * Reads a status with `read` on every change of the operation (and at least
 * every `intervalMs`) until it is final, so callers need no polling loop.
 * Rejects ABORTED when `signal` fires, and with the read's error.
 */
export async function waitForFinal<Report extends BackupStatusReport | RestoreStatusReport>(
  events: BackupEvents,
  operation: { readonly kind: OperationKind; readonly backend: string; readonly id: string },
  read: () => Promise<Report>,
  options: WaitForOptions,
): Promise<Report> {
  const { kind, backend, id } = operation;
  const { signal } = options;
  const intervalMs = options.intervalMs ?? 500;
  for (;;) {
    throwIfAborted(signal, `waiting for ${kind} ${id}`);
    // Subscribed before the read, so a change between the read and the wait is not missed.
    let wake: () => void = () => {};
    const changed = new Promise<void>((resolve) => (wake = resolve));
    const off = events.on((event) => {
      if (event.kind === kind && event.id === id && event.backend === backend && (event.type === 'status' || event.type === 'ended')) wake();
    });
    try {
      const report = await read();
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
