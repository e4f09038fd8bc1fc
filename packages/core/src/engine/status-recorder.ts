/**
 * Storing the statuses of running operations: every change, with retries of
 * transient failures, and the final one even when storage is away (it is
 * written again after the next successful write, and the journal keeps it
 * for the next start).
 */
import { BackupError, ErrorCode } from '../errors.ts';
import { encodeDescriptor, type NodeSummary } from '../format/descriptors.ts';
import { globalDescriptorKey, restoreDescriptorKey } from '../format/object-keys.ts';
import type { BackupStatus } from '../format/status.ts';
import type { BackupProvider } from '../provider.ts';
import { globalDescriptorOf, restoreDescriptorOf } from './descriptor-store.ts';
import type { EngineLogger } from './engine-options.ts';
import type { Journal, JournalEntry } from './journal.ts';
import type { Operation } from './operation.ts';
import type { ResolvedBackupConfig } from './request-validation.ts';
import { withRetries, type RetryPolicy } from './retry.ts';
import type { OperationKind } from './scheduler.ts';

export interface StatusRecorderOptions {
  /** This node: the coordinator named in global descriptors and the node of journal entries. */
  readonly nodeName: string;
  readonly journal: Journal;
  readonly retry: RetryPolicy;
  readonly logger: EngineLogger;
}

export class StatusRecorder {
  readonly #nodeName: string;
  readonly #journal: Journal;
  readonly #retry: RetryPolicy;
  readonly #logger: EngineLogger;
  /** Final statuses that could not be stored yet: written again after the next successful write. */
  readonly #unrecorded = new Map<Operation, { provider: BackupProvider; write: () => Promise<void> }>();
  #reconciling = false;

  constructor(options: StatusRecorderOptions) {
    this.#nodeName = options.nodeName;
    this.#journal = options.journal;
    this.#retry = options.retry;
    this.#logger = options.logger;
  }

  /** Writes the global descriptor of a backup (one attempt). */
  async storeGlobal(
    provider: BackupProvider,
    operation: Operation,
    config: ResolvedBackupConfig,
    nodes: Record<string, NodeSummary>,
    status: BackupStatus = operation.status,
    signal?: AbortSignal,
  ): Promise<void> {
    const descriptor = globalDescriptorOf(operation, this.#nodeName, config, nodes, status);
    await provider.put(globalDescriptorKey(operation.id), encodeDescriptor(descriptor), { location: operation.location, signal });
    this.#reconcile(provider);
  }

  /** Writes the restore descriptor of a backup (one attempt). */
  async storeRestore(
    provider: BackupProvider,
    operation: Operation,
    nodeMapping: Record<string, string>,
    status: BackupStatus = operation.status,
    signal?: AbortSignal,
  ): Promise<void> {
    const descriptor = restoreDescriptorOf(operation, nodeMapping, status);
    await provider.put(restoreDescriptorKey(operation.id), encodeDescriptor(descriptor), { location: operation.location, signal });
    this.#reconcile(provider);
  }

  /**
   * Stores an intermediate status, retrying transient failures. Never
   * rejects: when the retries run out, the operation is aborted with the
   * reason (it then ends FAILED) unless it is already past the point of no
   * return, where the final write will carry the truth instead.
   */
  async progress(operation: Operation, write: () => Promise<void>): Promise<void> {
    const signal = operation.controller.signal;
    try {
      await withRetries(`recording ${operation.kind} ${operation.id} as ${operation.status}`, this.#retry, write, {
        signal: operation.finishing ? undefined : signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (operation.finishing) {
        this.#logger.warn(`${operation.kind} ${operation.id}: ${describe(error)}`);
        return;
      }
      const code = BackupError.is(error) ? error.code : ErrorCode.IO;
      operation.controller.abort(new BackupError(code, `could not record the status: ${describe(error)}`, { cause: error }));
    }
  }

  /**
   * Stores the final status, retrying transient failures. When that still
   * fails, the operation keeps its outcome in memory (status reads answer
   * it), the write is tried again after the next successful write to the
   * same provider, and the journal keeps the outcome for the next start.
   */
  async final(operation: Operation, provider: BackupProvider, status: BackupStatus, write: () => Promise<void>): Promise<boolean> {
    try {
      await withRetries(`recording ${operation.kind} ${operation.id} as ${status}`, this.#retry, write);
      return true;
    } catch (error) {
      this.#logger.warn(`${operation.kind} ${operation.id} ended ${status}, but storing that failed: ${describe(error)}`);
      operation.markUnrecorded();
      this.#unrecorded.set(operation, { provider, write });
      return false;
    }
  }

  /** The journal entry of a running operation. */
  journalEntry(operation: Operation, phase: string, stagingDirectories: readonly string[] = [], nodes?: readonly string[]): JournalEntry {
    return {
      ...(nodes ? { nodes } : {}),
      kind: operation.kind as OperationKind,
      id: operation.id,
      backend: operation.backend,
      location: operation.location,
      node: this.#nodeName,
      startedAt: operation.startedAt.toISOString(),
      phase,
      stagingDirectories,
    };
  }

  /** Clears the journal entry of an ended operation, or keeps its outcome there for the next start. */
  async settleJournal(operation: Operation, status: BackupStatus, settled: boolean): Promise<void> {
    try {
      if (settled) await this.#journal.remove(operation.kind as OperationKind, operation.backend, operation.id);
      else await this.#journal.record({ ...this.journalEntry(operation, status), outcome: { status, error: operation.error } });
    } catch (error) {
      this.#logger.warn(`could not update the journal of ${operation.kind} ${operation.id}: ${describe(error)}`);
    }
  }

  /** After a successful write to `provider`: stores the final statuses that failed before. */
  #reconcile(provider: BackupProvider): void {
    if (this.#reconciling || this.#unrecorded.size === 0) return;
    this.#reconciling = true;
    void (async () => {
      for (const [operation, pending] of [...this.#unrecorded]) {
        if (pending.provider !== provider) continue;
        try {
          await pending.write();
        } catch {
          continue;
        }
        this.#unrecorded.delete(operation);
        operation.markRecorded();
        await this.#journal.remove(operation.kind as OperationKind, operation.backend, operation.id).catch(() => {});
      }
    })()
      .catch(() => {})
      .finally(() => (this.#reconciling = false));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
