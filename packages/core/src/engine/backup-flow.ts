/**
 * A backup from request to final status: checks, phase 1 (can-commit) on
 * every node, the STARTED descriptor, phase 2 in the background, the final
 * status (recorded first, shown last) and cleanup of a failed or canceled one.
 */
import { BackupError, ErrorCode } from '../errors.ts';
import { encodeDescriptor, type NodeSummary } from '../format/descriptors.ts';
import { globalDescriptorKey } from '../format/object-keys.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { baseStillThere, checkAccess, checkBase, checkIdIsFree, validateBaseId } from './backup-checks.ts';
import { selectCollections } from './collection-selection.ts';
import { abortBackupEverywhere, canCommitBackup, commitBackup } from './coordinator.ts';
import { nodeSummary, readGlobal, skippedOf } from './descriptor-store.ts';
import { clusterParticipants, codeOf, describe, refuseFilesystemOnCluster, runInBackground, settledWithin, type EngineContext } from './engine-context.ts';
import { checkRequestLocation } from './location-check.ts';
import { Operation } from './operation.ts';
import { counting, observe, reportWriterStalls } from './operation-events.ts';
import type { NodeBackupRequest, Participant } from './participant.ts';
import { bucketOf } from './reports.ts';
import { checkChunkSizeFits, resolveBackupConfig, validateBackupId, validateSelection, type ResolvedBackupConfig } from './request-validation.ts';
import { withRetries } from './retry.ts';
import type { Slot } from './scheduler.ts';
import { removeBackupObjects } from './storage-cleanup.ts';
import type { CreateBackupRequest, CreateBackupResult } from './types.ts';

/** Validates and starts a backup; resolves once it is STARTED (work continues in the background). */
export async function startBackup(
  context: EngineContext,
  provider: BackupProvider,
  backend: string,
  request: CreateBackupRequest,
): Promise<CreateBackupResult> {
  const id = validateBackupId(request.id);
  validateSelection(request.include, request.exclude);
  const baseId = request.incrementalBaseBackupId === undefined ? undefined : validateBaseId(request.incrementalBaseBackupId, id);
  const config: ResolvedBackupConfig = { ...resolveBackupConfig(request.config), ...(baseId ? { incrementalBaseBackupId: baseId } : {}) };
  checkChunkSizeFits(config.chunkSizeBytes, backend, provider.capabilities);
  const location = config.location;
  refuseFilesystemOnCluster(provider, context.cluster);
  await checkRequestLocation(provider, location); // before the slot: a bad Path never holds it
  const slot = context.scheduler.acquire('backup', id);
  try {
    const available = (await context.source.listCollections()).map((collection) => collection.name);
    const classes = selectCollections(available, request.include, request.exclude, {
      unknown: (name) => `class ${name} doesn't exist`,
    });
    if (classes.length === 0) {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'nothing to back up: no class matches the request');
    }
    await checkAccess(provider, location);
    if (baseId) await checkBase(provider, baseId, location);
    await checkIdIsFree(provider, id, location, context.cluster.nodes);
    const operation = new Operation('backup', id, backend, location, provider.homeDir(id, location), classes, baseId);
    const nodeRequest: NodeBackupRequest = {
      id,
      backend,
      location,
      collections: classes,
      chunkSizeBytes: config.chunkSizeBytes,
      compression: config.compression,
      cpuPercentage: config.cpuPercentage,
      startedAt: operation.startedAt.toISOString(),
      ...(baseId ? { incrementalBaseBackupId: baseId } : {}),
    };
    const participants = clusterParticipants(context.cluster);
    await canCommitBackup(participants, nodeRequest, operation.controller.signal, context.canCommitTimeoutMs);
    try {
      await context.journal.record(
        context.records.journalEntry(
          operation,
          'backup',
          [],
          participants.map((participant) => participant.node),
        ),
      );
      try {
        await context.records.storeGlobal(provider, operation, config, {});
      } catch (error) {
        await context.journal.remove('backup', backend, id);
        throw error;
      }
    } catch (error) {
      await abortBackupEverywhere(participants, id); // they accepted phase 1 and would wait for a commit
      throw error;
    }
    context.operations.add(operation);
    operation.dispatched(participants.length);
    observe(context.events, context.nodeName, operation);
    runInBackground(context, operation, slot, () => runBackup(context, operation, provider, config, nodeRequest, participants, slot));
    return {
      id,
      backend,
      classes,
      path: operation.path,
      bucket: bucketOf(provider, id, location),
      status: BackupStatus.STARTED,
      error: '',
    };
  } catch (error) {
    slot.release();
    throw error;
  }
}

async function runBackup(
  context: EngineContext,
  operation: Operation,
  provider: BackupProvider,
  config: ResolvedBackupConfig,
  request: NodeBackupRequest,
  participants: Participant[],
  slot: Slot,
): Promise<void> {
  const { records } = context;
  const signal = operation.controller.signal;
  let nodes: Record<string, NodeSummary> = {};
  // The final status is recorded first and shown last: until the slot is free the operation
  // stays running in memory, so a status read, a cancel or a shutdown in between still finds
  // it (and a client that saw SUCCESS can start the next backup at once).
  let outcome: BackupStatus;
  let cleanedUp = true;
  try {
    // The STARTED descriptor naming the base is stored: a delete of the base that began since has left
    // its mark (or, finished, removed the base's descriptor).
    if (request.incrementalBaseBackupId && !(await baseStillThere(provider, request.incrementalBaseBackupId, request.location, signal))) {
      await abortBackupEverywhere(participants, request.id); // they accepted phase 1 and would wait for a commit
      throw new BackupError(ErrorCode.CONFLICT, `incremental base backup "${request.incrementalBaseBackupId}" was deleted while this backup started`);
    }
    const descriptors = await commitBackup(participants, request, signal, {
      onStatus: async (status) => {
        if (operation.cancelRequested || signal.aborted) return;
        operation.advance(status);
        await records.progress(operation, () => records.storeGlobal(provider, operation, config, nodes, status, signal));
      },
      ...counting(context.events, context.nodeName, operation),
    });
    reportWriterStalls(context.events, operation, descriptors);
    nodes = Object.fromEntries(descriptors.map((descriptor) => [descriptor.node, nodeSummary(descriptor)]));
    operation.settleBackupResults({
      sizeBytes: descriptors.reduce((sum, descriptor) => sum + descriptor.preCompressionSizeBytes, 0),
      skipped: descriptors.flatMap((descriptor) => skippedOf(descriptor)),
      storedBytes: {
        uploaded: descriptors.reduce((sum, descriptor) => sum + descriptor.storedSizeBytes, 0),
        reused: descriptors.reduce((sum, descriptor) => sum + (descriptor.reusedStoredSizeBytes ?? 0), 0),
      },
    });
    if (signal.aborted) throw signal.reason;
    operation.beginFinishing();
    operation.complete();
    await withRetries(`recording backup ${operation.id} as SUCCESS`, context.retry, () =>
      records.storeGlobal(provider, operation, config, nodes, BackupStatus.SUCCESS),
    );
    outcome = BackupStatus.SUCCESS;
  } catch (error) {
    operation.beginFinishing();
    outcome = operation.cancelRequested ? BackupStatus.CANCELED : BackupStatus.FAILED;
    operation.fail(context.redact(describe(signal.aborted ? signal.reason : error)), codeOf(signal.aborted ? signal.reason : error));
    operation.complete();
    try {
      await withRetries(`cleaning up backup ${operation.id}`, context.retry, () =>
        removeBackupObjects(
          provider,
          operation.id,
          operation.location,
          participants.map((participant) => participant.node),
        ),
      );
    } catch (cleanupError) {
      // The journal entry stays, so the next start finishes the cleanup.
      context.logger.warn(`backup ${operation.id} ended ${outcome} but cleanup failed: ${describe(cleanupError)}`);
      cleanedUp = false;
    }
  }
  const final = outcome;
  const recorded =
    final === BackupStatus.SUCCESS || (await records.final(operation, provider, final, () => records.storeGlobal(provider, operation, config, nodes, final)));
  await records.settleJournal(operation, final, recorded && cleanedUp);
  operation.finish(outcome);
  slot.release();
}

/**
 * Cancels a backup: a running one is aborted (snapshots released, uploads
 * aborted, partial objects removed) and ends CANCELED before this resolves.
 * CONFLICT if it already succeeded; a no-op if it already ended otherwise.
 */
export async function cancelBackup(context: EngineContext, provider: BackupProvider, backend: string, id: string, location: Location): Promise<void> {
  const operation = context.operations.get('backup', backend, id, location);
  if (operation?.running) {
    if (!operation.finishing) operation.requestCancel(new BackupError(ErrorCode.ABORTED, `backup ${id} was canceled`));
    // Answer promptly whatever the provider does: the cleanup of a stalled
    // backend is bounded by its deadlines and goes on in the background.
    await settledWithin(operation.done, context.cancelWaitMs);
    if (operation.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
    return;
  }
  if (operation && !operation.recorded) {
    if (operation.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
    return;
  }
  const descriptor = await readGlobal(provider, id, location);
  if (descriptor.status === BackupStatus.SUCCESS) throw alreadySucceeded(id);
  if (isFinalStatus(descriptor.status)) return;
  // In progress by the record but not running here: an orphan of a node
  // that is gone. Cancelling it means cleaning it up.
  await removeBackupObjects(provider, id, location, context.cluster.nodes);
  await provider.put(
    globalDescriptorKey(id),
    encodeDescriptor({
      ...descriptor,
      status: BackupStatus.CANCELED,
      error: `backup ${id} was canceled`,
      completedAt: new Date().toISOString(),
    }),
    { location },
  );
}

function alreadySucceeded(id: string): BackupError {
  return new BackupError(ErrorCode.CONFLICT, `backup "${id}" already succeeded`);
}
