import type { BackupEvent, BackupEvents } from '@backup/core';
import type { Logger } from 'pino';

/**
 * Log lines from a node's backup events: one when an operation starts, one
 * per status change, one when it ends (the final status change), each with
 * the operation (kind), id, backend, node, status, bytes so far and, at the
 * end, the duration and error code. Chunk retries are warnings, chunks given
 * up errors, writer stalls debug lines. Returns the function that stops it.
 */
export function logOperations(events: BackupEvents, logger: Logger): () => void {
  // Bytes so far per operation, so that status lines say how far it got.
  const bytes = new Map<string, number>();
  const keyOf = (event: BackupEvent) => `${event.kind}\u0000${event.backend}\u0000${event.id}\u0000${event.node}`;
  return events.on((event) => {
    const fields = { operation: event.kind, id: event.id, backend: event.backend, node: event.node };
    const key = keyOf(event);
    switch (event.type) {
      case 'started':
        bytes.set(key, 0);
        logger.info({ ...fields, status: 'STARTED', bytes: 0 }, `${event.kind} started`);
        return;
      case 'bytes':
        bytes.set(key, (bytes.get(key) ?? 0) + event.bytes);
        return;
      case 'status':
        // The change to a final status is the `ended` line.
        if (event.status === 'SUCCESS' || event.status === 'FAILED' || event.status === 'CANCELED') return;
        logger.info({ ...fields, status: event.status, previous: event.previous, bytes: bytes.get(key) ?? 0 }, `${event.kind} ${event.status}`);
        return;
      case 'chunkRetried':
        logger.warn({ ...fields, chunk: event.key, attempt: event.attempt, errorCode: event.errorCode }, `${event.kind} chunk retried`);
        return;
      case 'chunkFailed':
        logger.error({ ...fields, chunk: event.key, errorCode: event.errorCode }, `${event.kind} chunk failed`);
        return;
      case 'writerStall':
        logger.debug({ ...fields, collection: event.collection, shard: event.shard, stallMs: event.ms }, 'snapshot writer stall');
        return;
      case 'ended': {
        bytes.delete(key);
        const line = {
          ...fields,
          status: event.status,
          bytes: event.bytes,
          durationMs: event.durationMs,
          ...(event.errorCode ? { errorCode: event.errorCode, error: event.error } : {}),
        };
        const message = `${event.kind} ended ${event.status}`;
        if (event.status === 'FAILED') logger.error(line, message);
        else logger.info(line, message);
        return;
      }
    }
  });
}
