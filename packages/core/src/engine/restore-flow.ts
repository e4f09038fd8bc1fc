/**
 * A restore from request to final status: every check before any download,
 * can-restore on every target node, staging in the background, then
 * installing (FINALIZING, past the point of no return).
 */
import { BackupError, ErrorCode } from '../errors.ts';
import type { GlobalDescriptor } from '../format/descriptors.ts';
import { BackupStatus } from '../format/status.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { selectCollections } from './collection-selection.ts';
import { canRestore, runRestore as runNodeRestores } from './coordinator.ts';
import { readGlobal, readRestore } from './descriptor-store.ts';
import { codeOf, describe, refuseFilesystemOnCluster, runInBackground, settledWithin, type EngineContext } from './engine-context.ts';
import { checkRequestLocation } from './location-check.ts';
import { planRestoreNodes } from './node-mapping.ts';
import { Operation } from './operation.ts';
import { counting, observe } from './operation-events.ts';
import type { NodeRestoreRequest, Participant } from './participant.ts';
import { resolveRestoreConfig, validateBackupId, validateSelection } from './request-validation.ts';
import type { Slot } from './scheduler.ts';
import type { RestoreRequest, RestoreResult } from './types.ts';

/**
 * Validates and starts a restore. Every check that can fail does so here,
 * before anything is downloaded: the backup exists (NOT_FOUND) and
 * succeeded, its format is supported, every requested collection is in it,
 * and none exists on the target.
 */
export async function startRestore(context: EngineContext, provider: BackupProvider, backend: string, request: RestoreRequest): Promise<RestoreResult> {
  const id = validateBackupId(request.id);
  validateSelection(request.include, request.exclude);
  const config = resolveRestoreConfig(request.config);
  const location = config.location;
  refuseFilesystemOnCluster(provider, context.cluster);
  await checkRequestLocation(provider, location);
  const descriptor = await readGlobal(provider, id, location);
  if (descriptor.status !== BackupStatus.SUCCESS) {
    throw new BackupError(ErrorCode.CONFLICT, `backup ${id} has status ${descriptor.status}: only a backup with status SUCCESS can be restored`);
  }
  const classes = selectCollections(descriptor.classes, request.include, request.exclude, {
    unknown: (name) => `class ${name} is not in backup ${id}`,
  });
  if (classes.length === 0) throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'nothing to restore: no class matches the request');
  const requests = restoreRequests(context, descriptor, id, backend, location, classes, config.cpuPercentage, request.nodeMapping);

  const slot = context.scheduler.acquire('restore', id);
  try {
    const operation = new Operation('restore', id, backend, location, provider.homeDir(id, location), classes);
    await canRestore(requests, operation.controller.signal, context.canCommitTimeoutMs);
    await context.journal.record(context.records.journalEntry(operation, 'STARTED'));
    const nodeMapping = { ...(request.nodeMapping ?? {}) };
    try {
      await context.records.storeRestore(provider, operation, nodeMapping);
    } catch (error) {
      await context.journal.remove('restore', backend, id);
      throw error;
    }
    context.operations.add(operation);
    operation.dispatched(requests.size);
    observe(context.events, context.nodeName, operation);
    runInBackground(context, operation, slot, () => runRestore(context, operation, provider, requests, nodeMapping, slot));
    return { id, backend, classes, path: operation.path, status: BackupStatus.STARTED, error: '' };
  } catch (error) {
    slot.release();
    throw error;
  }
}

async function runRestore(
  context: EngineContext,
  operation: Operation,
  provider: BackupProvider,
  requests: Map<Participant, NodeRestoreRequest>,
  nodeMapping: Record<string, string>,
  slot: Slot,
): Promise<void> {
  const { records, journal } = context;
  const signal = operation.controller.signal;
  let staging: readonly string[] = [];
  let outcome: BackupStatus;
  try {
    await runNodeRestores(requests, signal, {
      onStatus: async (status) => {
        if (operation.cancelRequested) return;
        operation.advance(status);
        if (status === BackupStatus.FINALIZING) {
          operation.beginFinishing();
          await journal.record(records.journalEntry(operation, status, staging));
        }
        await records.progress(operation, () => records.storeRestore(provider, operation, nodeMapping, status, operation.finishing ? undefined : signal));
      },
      ...counting(context.events, context.nodeName, operation),
      onStaging: async (directories) => {
        staging = [...staging, ...directories];
        await journal.record(records.journalEntry(operation, operation.status, staging));
      },
    });
    outcome = BackupStatus.SUCCESS;
  } catch (error) {
    outcome = operation.cancelRequested ? BackupStatus.CANCELED : BackupStatus.FAILED;
    operation.fail(context.redact(describe(signal.aborted ? signal.reason : error)), codeOf(signal.aborted ? signal.reason : error));
  }
  // As for backups: recorded first, shown once the slot is free.
  operation.complete();
  const final = outcome;
  const recorded = await records.final(operation, provider, final, () => records.storeRestore(provider, operation, nodeMapping, final));
  await records.settleJournal(operation, final, recorded);
  operation.finish(outcome);
  slot.release();
}

/**
 * Cancels a running restore: downloads stop, staged files are removed,
 * nothing is installed; it ends CANCELED before this resolves. CONFLICT
 * once installing began or after SUCCESS.
 */
export async function cancelRestore(context: EngineContext, provider: BackupProvider, backend: string, id: string, location: Location): Promise<void> {
  const operation = context.operations.get('restore', backend, id, location);
  if (operation?.running) {
    if (operation.finishing || operation.status === BackupStatus.FINALIZING) {
      throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} is installing the collections and cannot be canceled`);
    }
    operation.requestCancel(new BackupError(ErrorCode.ABORTED, `restore of backup ${id} was canceled`));
    await settledWithin(operation.done, context.cancelWaitMs);
    return;
  }
  if (operation && !operation.recorded) {
    if (operation.status === BackupStatus.SUCCESS) throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} already succeeded`);
    return;
  }
  const descriptor = await readRestore(provider, id, location);
  if (descriptor.status === BackupStatus.SUCCESS) {
    throw new BackupError(ErrorCode.CONFLICT, `restore of backup ${id} already succeeded`);
  }
}

/** One request per target node, each naming the collections of the source node it restores. */
function restoreRequests(
  context: EngineContext,
  descriptor: GlobalDescriptor,
  id: string,
  backend: string,
  location: Location,
  classes: string[],
  cpuPercentage: number,
  nodeMapping: Readonly<Record<string, string>> | undefined,
): Map<Participant, NodeRestoreRequest> {
  const requests = new Map<Participant, NodeRestoreRequest>();
  const plan = planRestoreNodes(id, Object.keys(descriptor.nodes), context.cluster.nodes, nodeMapping);
  for (const [sourceNode, summary] of Object.entries(descriptor.nodes)) {
    const collections = summary.classes.filter((name) => classes.includes(name));
    if (collections.length === 0) continue;
    const targetNode = plan.get(sourceNode) as string;
    const participant = context.cluster.participant(targetNode);
    if (!participant) throw new BackupError(ErrorCode.UNAVAILABLE, `node ${targetNode} is not reachable`);
    requests.set(participant, { id, backend, location, sourceNode, collections, cpuPercentage, ...(nodeMapping ? { nodeMapping } : {}) });
  }
  return requests;
}
