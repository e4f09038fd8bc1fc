import { availableParallelism } from 'node:os';
import { BackupError, ErrorCode } from '../errors.ts';
import { backendName, type ProviderRegistry } from '../config/provider-registry.ts';
import type { BackupProvider } from '../provider.ts';
import type { BackupSource } from '../source.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import { backupNode } from './node-backup.ts';
import { NodeRestore, checkReusedChunks, dataKeysFor, readNodeDescriptor, recordsToRestore } from './node-restore.ts';
import type { BackupProgress, NodeBackupRequest, NodeRestoreRequest, Participant, RestoreProgress } from './participant.ts';
import { pipelineCount } from './request-validation.ts';
import { ChunkWorkerPool, type WorkerThreadsMode } from './chunk-worker-pool.ts';
import type { ChunkEvents, RetryPolicy } from './retry.ts';
import type { BackupEvents, OperationRef } from './events.ts';

import { removeNodeObjects } from './storage-cleanup.ts';

export interface LocalParticipantOptions {
  readonly source: BackupSource;
  readonly providers: ProviderRegistry;
  readonly node: string;
  readonly cpuCount?: number | undefined;
  /** Retries of transient chunk upload and read failures. */
  readonly retry?: RetryPolicy | undefined;
  /** Where chunk retries and failures are reported (the engine's `events`, or the server's bus on a peer). */
  readonly events?: BackupEvents | undefined;
  /**
   * The user's key for client-side encryption (`BACKUP_ENCRYPTION_KEY`):
   * set, every backup's chunks are encrypted; needed to restore them.
   */
  readonly encryptionKey?: Buffer | undefined;
  /** Per-byte work in worker threads: `on`, `off`, or `auto` (default: `BACKUP_WORKER_THREADS`, else auto; see chunk-worker-pool.ts). */
  readonly workerThreads?: WorkerThreadsMode | undefined;
}

/** The participant that runs in this process, over the host's `BackupSource`. */
export class LocalParticipant implements Participant {
  readonly node: string;
  readonly #source: BackupSource;
  readonly #providers: ProviderRegistry;
  readonly #cpuCount: number;
  readonly #retry: RetryPolicy | undefined;
  readonly #encryptionKey: Buffer | undefined;
  readonly #workers: ChunkWorkerPool;
  /** Settable so an engine can adopt a participant built before it (it then reports to the engine's events). */
  events: BackupEvents | undefined;
  readonly #restores = new Map<string, { descriptor: NodeDescriptor; restore?: NodeRestore }>();
  /** Commits running here, so `abortBackup` can stop one and wait until it cleaned up. */
  readonly #commits = new Map<string, { controller: AbortController; settled: Promise<unknown> }>();

  constructor(options: LocalParticipantOptions) {
    this.node = options.node;
    this.#source = options.source;
    this.#providers = options.providers;
    this.#cpuCount = options.cpuCount ?? availableParallelism();
    this.#retry = options.retry;
    this.#encryptionKey = options.encryptionKey;
    this.events = options.events;
    this.#workers = new ChunkWorkerPool({ mode: options.workerThreads, cpuCount: this.#cpuCount });
  }

  /** Ends the worker threads (idle ones never hold the process open). Call once nothing runs here any more. */
  async close(): Promise<void> {
    await this.#workers.close();
  }

  /** Chunk events of one operation on this node, or undefined when nobody listens. */
  #chunkEvents(kind: OperationRef['kind'], id: string, backend: string): ChunkEvents | undefined {
    const events = this.events;
    if (!events) return undefined;
    const ref = { kind, id, backend: backendName(backend), node: this.node };
    const code = (error: unknown) => (BackupError.is(error) ? error.code : ErrorCode.IO);
    return {
      retried: (key, error, attempt) => events.emit({ ...ref, type: 'chunkRetried', key, attempt, errorCode: code(error) }),
      failed: (key, error) => events.emit({ ...ref, type: 'chunkFailed', key, errorCode: code(error) }),
    };
  }

  async canCommitBackup(request: NodeBackupRequest): Promise<void> {
    this.#providers.get(request.backend);
    for (const collection of request.collections) {
      if (!(await this.#source.collectionExists(collection))) {
        throw new BackupError(ErrorCode.INVALID_ARGUMENT, `class ${collection} doesn't exist`);
      }
    }
  }

  async commitBackup(request: NodeBackupRequest, options: { signal: AbortSignal } & BackupProgress): Promise<NodeDescriptor> {
    const provider = this.#providers.get(request.backend);
    if (this.#commits.has(request.id)) {
      throw new BackupError(ErrorCode.CONFLICT, `backup ${request.id} is already being committed on node ${this.node}`);
    }
    const controller = new AbortController();
    const signal = AbortSignal.any([options.signal, controller.signal]);
    const run = this.#commit(request, provider, signal, options);
    const entry = { controller, settled: run.catch(() => {}) };
    this.#commits.set(request.id, entry);
    try {
      return await run;
    } finally {
      if (this.#commits.get(request.id) === entry) this.#commits.delete(request.id);
    }
  }

  async #commit(request: NodeBackupRequest, provider: BackupProvider, signal: AbortSignal, progress: BackupProgress): Promise<NodeDescriptor> {
    try {
      return await backupNode(
        request,
        {
          source: this.#source,
          provider,
          node: this.node,
          pipelines: pipelineCount(this.#cpuCount, request.cpuPercentage),
          signal,
          retry: this.#retry,
          chunkEvents: this.#chunkEvents('backup', request.id, request.backend),
          encryptionKey: this.#encryptionKey,
          workers: this.#workers,
        },
        progress,
      );
    } catch (error) {
      // Leave nothing of this node's behind; an aborted write already removed itself.
      await removeNodeObjects(provider, request.id, this.node, request.location).catch(() => {});
      throw error;
    }
  }

  async abortBackup(id: string): Promise<void> {
    const running = this.#commits.get(id);
    if (!running) return;
    running.controller.abort(new BackupError(ErrorCode.ABORTED, `backup ${id} was aborted on node ${this.node}`));
    await running.settled;
  }

  /**
   * Removes this node's objects of a backup it finished but whose coordinator
   * gave up on it (or went away): the backup as a whole failed, so this
   * node's part must not stay behind.
   */
  async discardBackup(request: NodeBackupRequest): Promise<void> {
    await removeNodeObjects(this.#providers.get(request.backend), request.id, this.node, request.location);
  }

  async canRestore(request: NodeRestoreRequest, options: { signal: AbortSignal }): Promise<void> {
    const provider = this.#providers.get(request.backend);
    const descriptor = await readNodeDescriptor(provider, request, options.signal);
    dataKeysFor(descriptor, recordsToRestore(descriptor, request.collections), this.#encryptionKey); // no key, wrong key: refused here
    // Class names collide regardless of letter case (as in Weaviate): `ARTICLE` blocks `Article`
    // here, before any download, not when installing it.
    const existing = new Map((await this.#source.listCollections()).map((collection) => [collection.name.toLowerCase(), collection.name]));
    for (const record of recordsToRestore(descriptor, request.collections)) {
      const clash = (await this.#source.collectionExists(record.name)) ? record.name : existing.get(record.name.toLowerCase());
      if (clash !== undefined) {
        const as = clash === record.name ? '' : ` (as ${clash})`;
        throw new BackupError(ErrorCode.ALREADY_EXISTS, `cannot restore class ${record.name}: it already exists${as} on node ${this.node}`);
      }
    }
    await checkReusedChunks(provider, request, recordsToRestore(descriptor, request.collections), options.signal);
    this.#restores.set(request.id, { descriptor });
  }

  async stageRestore(request: NodeRestoreRequest, options: { signal: AbortSignal } & RestoreProgress): Promise<void> {
    const provider = this.#providers.get(request.backend);
    const state = this.#restores.get(request.id) ?? { descriptor: await readNodeDescriptor(provider, request, options.signal) };
    const restore = new NodeRestore(state.descriptor, request.collections);
    this.#restores.set(request.id, { ...state, restore });
    try {
      await restore.stage(
        request,
        {
          source: this.#source,
          provider,
          pipelines: pipelineCount(this.#cpuCount, request.cpuPercentage),
          signal: options.signal,
          retry: this.#retry,
          chunkEvents: this.#chunkEvents('restore', request.id, request.backend),
          encryptionKey: this.#encryptionKey,
          workers: this.#workers,
        },
        options,
      );
    } catch (error) {
      await this.abortRestore(request.id);
      throw error;
    }
  }

  async finalizeRestore(id: string): Promise<void> {
    const restore = this.#restores.get(id)?.restore;
    if (!restore) throw new BackupError(ErrorCode.NOT_FOUND, `restore ${id} was not staged on node ${this.node}`);
    try {
      await restore.finalize();
    } finally {
      await restore.abort();
      this.#restores.delete(id);
    }
  }

  async abortRestore(id: string): Promise<void> {
    const restore = this.#restores.get(id)?.restore;
    this.#restores.delete(id);
    await restore?.abort();
  }
}
