import { BackupError, ErrorCode, abortError } from '../errors.ts';
import { nodeMessage } from '../cluster/participant-protocol.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import type { NodeBackupRequest, NodeRestoreRequest, Participant, TransferProgress } from './participant.ts';
import { BackupStatus } from '../format/status.ts';

/** How long a participant may take to answer phase 1 (can-commit). */
export const DEFAULT_CAN_COMMIT_TIMEOUT_MS = 30_000;

export interface CoordinationHooks extends TransferProgress {
  /** Records a status change (in memory and in the stored descriptor). */
  readonly onStatus: (status: BackupStatus) => Promise<void>;
}

/**
 * Runs `task` on every participant with a shared signal; the first failure
 * aborts the others, and once all have settled it is thrown. A single node is
 * a cluster of one, so this is the whole of single-node coordination too.
 */
async function onEveryNode<T>(
  participants: readonly Participant[],
  signal: AbortSignal,
  task: (participant: Participant, signal: AbortSignal) => Promise<T>,
): Promise<T[]> {
  const controller = new AbortController();
  const forward = (): void => controller.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener('abort', forward, { once: true });
  let first: { error: unknown } | undefined;
  try {
    const results = await Promise.allSettled(
      participants.map(async (participant) => {
        try {
          return await task(participant, controller.signal);
        } catch (error) {
          // The first failure is the cause; the others are usually its abort.
          first ??= { error: participants.length > 1 ? namedByNode(error, participant.node) : error };
          controller.abort(error);
          throw error;
        }
      }),
    );
    if (signal.aborted) throw abortError(signal);
    if (first) throw first.error;
    return results.map((result) => (result as PromiseFulfilledResult<T>).value);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

/** In a cluster, an error says which node it came from: "node node2: ...". */
function namedByNode(error: unknown, node: string): unknown {
  if (!BackupError.is(error)) return error;
  const message = nodeMessage(node, error.message);
  return message === error.message ? error : new BackupError(error.code, message, { cause: error });
}

/**
 * The explicit abort of a backup on every node: idempotent and safe where a
 * node never heard of `id`. Failures are ignored: a node that cannot be
 * reached aborts on its own once the coordinator stops talking to it.
 */
export async function abortBackupEverywhere(participants: readonly Participant[], id: string): Promise<void> {
  await Promise.allSettled(participants.map((participant) => participant.abortBackup(id)));
}

async function abortRestoreEverywhere(participants: readonly Participant[], id: string): Promise<void> {
  await Promise.allSettled(participants.map((participant) => participant.abortRestore(id)));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, node: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BackupError(ErrorCode.UNAVAILABLE, `node ${node} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Phase 1 of a backup: every participant must accept within the timeout. */
export async function canCommitBackup(
  participants: readonly Participant[],
  request: NodeBackupRequest,
  signal: AbortSignal,
  timeoutMs = DEFAULT_CAN_COMMIT_TIMEOUT_MS,
): Promise<void> {
  try {
    await onEveryNode(participants, signal, (participant, nodeSignal) =>
      withTimeout(participant.canCommitBackup(request, { signal: nodeSignal }), timeoutMs, participant.node),
    );
  } catch (error) {
    // Any refusal, failure or timeout: the nodes that accepted must not wait for a commit.
    await abortBackupEverywhere(participants, request.id);
    throw error;
  }
}

/**
 * Phase 2 of a backup: every participant snapshots and uploads its shards and
 * writes its node descriptor. TRANSFERRING once all have their snapshots,
 * TRANSFERRED once all descriptors are written.
 */
export async function commitBackup(
  participants: readonly Participant[],
  request: NodeBackupRequest,
  signal: AbortSignal,
  hooks: CoordinationHooks,
): Promise<NodeDescriptor[]> {
  let transferring = 0;
  let statusWrite: Promise<void> = Promise.resolve();
  try {
    const descriptors = await onEveryNode(participants, signal, (participant, nodeSignal) =>
      participant.commitBackup(request, {
        signal: nodeSignal,
        onBytes: hooks.onBytes,
        onPlanned: hooks.onPlanned,
        onDone: hooks.onDone,
        onTransferring: () => {
          if (++transferring === participants.length) {
            statusWrite = hooks.onStatus(BackupStatus.TRANSFERRING);
            // Awaited below, once the nodes are done; a failure meanwhile must not go unhandled.
            statusWrite.catch(() => {});
          }
        },
      }),
    );
    await statusWrite;
    await hooks.onStatus(BackupStatus.TRANSFERRED);
    return descriptors;
  } catch (error) {
    // A failure, a timeout or a cancel: every node stops, releases its snapshots and removes its chunks.
    await abortBackupEverywhere(participants, request.id);
    throw error;
  }
}

/** Fail-fast restore checks on every node, before anything is downloaded. */
export async function canRestore(
  requests: ReadonlyMap<Participant, NodeRestoreRequest>,
  signal: AbortSignal,
  timeoutMs = DEFAULT_CAN_COMMIT_TIMEOUT_MS,
): Promise<void> {
  try {
    await onEveryNode([...requests.keys()], signal, (participant, nodeSignal) =>
      withTimeout(participant.canRestore(requests.get(participant) as NodeRestoreRequest, { signal: nodeSignal }), timeoutMs, participant.node),
    );
  } catch (error) {
    // The nodes that accepted forget the restore instead of waiting for it.
    const id = [...requests.values()][0]?.id;
    if (id !== undefined) await abortRestoreEverywhere([...requests.keys()], id);
    throw error;
  }
}

/**
 * A restore across nodes: stage everywhere (TRANSFERRING → TRANSFERRED), then
 * install everywhere (FINALIZING). A failure while staging aborts every node;
 * installing is not interrupted by cancellation.
 */
export async function runRestore(
  requests: ReadonlyMap<Participant, NodeRestoreRequest>,
  signal: AbortSignal,
  hooks: CoordinationHooks & { readonly onStaging?: (directories: readonly string[]) => Promise<void> },
): Promise<void> {
  const participants = [...requests.keys()];
  await hooks.onStatus(BackupStatus.TRANSFERRING);
  try {
    await onEveryNode(participants, signal, (participant, nodeSignal) =>
      participant.stageRestore(requests.get(participant) as NodeRestoreRequest, {
        signal: nodeSignal,
        onBytes: hooks.onBytes,
        onPlanned: hooks.onPlanned,
        onDone: hooks.onDone,
        onStaging: hooks.onStaging,
      }),
    );
    if (signal.aborted) throw abortError(signal);
    await hooks.onStatus(BackupStatus.TRANSFERRED);
    if (signal.aborted) throw abortError(signal);
  } catch (error) {
    await abortRestoreEverywhere(participants, requestId(requests, participants[0] as Participant));
    throw error;
  }
  await hooks.onStatus(BackupStatus.FINALIZING);
  const results = await Promise.allSettled(participants.map((participant) => participant.finalizeRestore(requestId(requests, participant))));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}

function requestId(requests: ReadonlyMap<Participant, NodeRestoreRequest>, participant: Participant): string {
  return (requests.get(participant) as NodeRestoreRequest).id;
}
