import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupProvider } from '../provider.ts';
import type { BackupSource } from '../source.ts';
import type { Cluster, EngineLogger } from './engine-options.ts';
import type { BackupEvents } from './events.ts';
import type { Journal } from './journal.ts';
import type { Operation } from './operation.ts';
import type { OperationRegistry } from './operation-registry.ts';
import type { Participant } from './participant.ts';
import type { RetryPolicy } from './retry.ts';
import type { Scheduler, Slot } from './scheduler.ts';
import type { StatusRecorder } from './status-recorder.ts';

/** What the backup and restore flows of one engine share; built once by `BackupEngine`. */
export interface EngineContext {
  readonly nodeName: string;
  readonly source: BackupSource;
  readonly cluster: Cluster;
  readonly scheduler: Scheduler;
  readonly operations: OperationRegistry;
  readonly journal: Journal;
  readonly records: StatusRecorder;
  readonly events: BackupEvents;
  readonly logger: EngineLogger;
  readonly retry: RetryPolicy;
  readonly redact: (text: string) => string;
  readonly canCommitTimeoutMs: number;
  readonly cancelWaitMs: number;
}

/** Every node of the cluster; UNAVAILABLE if one has no participant. */
export function clusterParticipants(cluster: Cluster): Participant[] {
  return cluster.nodes.map((node) => {
    const participant = cluster.participant(node);
    if (!participant) throw new BackupError(ErrorCode.UNAVAILABLE, `node ${node} is not reachable`);
    return participant;
  });
}

/** Each node's filesystem is its own: a cluster backup there could never be restored as a whole. */
export function refuseFilesystemOnCluster(provider: BackupProvider, cluster: Cluster): void {
  if (provider.name === 'filesystem' && cluster.nodes.length > 1) {
    throw new BackupError(
      ErrorCode.NOT_SUPPORTED,
      // The seed's reason, word for word, then what applies here.
      `backup-filesystem works on a single node only: it is only compatible with single-node backups, and this cluster has ` +
        `${cluster.nodes.length} nodes; use backup-gcs, backup-s3 or backup-azure for multi-node backups`,
    );
  }
}

/** Runs `work` in the background as the operation's `done`; whatever it throws ends the operation FAILED. */
export function runInBackground(context: EngineContext, operation: Operation, slot: Slot, work: () => Promise<void>): void {
  operation.runs(work().catch((error: unknown) => lastResort(context, operation, slot, error)));
}

/** A bug in the run itself must not end the process, nor leave the operation running forever. */
function lastResort(context: EngineContext, operation: Operation, slot: Slot, error: unknown): void {
  context.logger.warn(`${operation.kind} ${operation.id} failed unexpectedly: ${describe(error)}`);
  operation.failUnexpectedly(context.redact(describe(error)), codeOf(error));
  slot.release();
}

/** Waits for `promise` to settle, or `ms`, whichever comes first. */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function codeOf(error: unknown): ErrorCode {
  return BackupError.is(error) ? error.code : ErrorCode.IO;
}
