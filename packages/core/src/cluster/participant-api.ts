import { BackupError, ErrorCode } from '../errors.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import type { LocalParticipant } from '../engine/local-participant.ts';
import type { NodeBackupRequest, NodeRestoreRequest, ProgressTotals, TransferProgress } from '../engine/participant.ts';
import type { ApiResponse } from '../http/messages.ts';
import { httpStatusFor } from '../http/error-status.ts';
import { hasClusterSecret, type RequestHeaders } from './cluster-secret.ts';
import {
  DEFAULT_ABORT_AFTER_MS,
  decodeNodeBackupRequest,
  decodeNodeRestoreRequest,
  isFinalPhase,
  isParticipantPath,
  parseParticipantPath,
  toWireError,
  wireErrorBody,
  type ParticipantPhase,
  type ParticipantRoute,
  type ParticipantStatus,
  type WireError,
} from './participant-protocol.ts';

/** An internal request as any HTTP framework can describe it; unlike the public API's, it carries headers (for the secret). */
export interface ParticipantApiRequest {
  readonly method: string;
  /** The full path, e.g. `/internal/backups/my-id/status`. */
  readonly path: string;
  readonly query?: URLSearchParams | undefined;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
  readonly headers: RequestHeaders;
}

export interface ParticipantApiOptions {
  /** The cluster secret every internal request must carry as `Authorization: Bearer <secret>`. */
  readonly secret: string;
  /**
   * How long an operation may go without hearing from its coordinator (no
   * commit, stage, finalize, status poll or abort) before this node aborts it
   * on its own: releases snapshots, removes its chunks or staged files.
   * Default 20 s, Weaviate's `_TimeoutShardCommit`.
   */
  readonly abortAfterMs?: number | undefined;
  /** Where the node reports what it does on its own (watchdog aborts, failed cleanups). */
  readonly logger?: { warn(message: string): void } | undefined;
}

export interface ParticipantApi {
  /** Answers a request under `/internal/`; resolves undefined for any other path (not ours: pass it on). */
  handle(request: ParticipantApiRequest): Promise<ApiResponse | undefined>;
  /** Aborts every operation still running here (as the watchdog would) and stops the watchdog. */
  close(): Promise<void>;
}

interface Tracked {
  phase: ParticipantPhase;
  bytes: number;
  planned?: ProgressTotals;
  done: { files: number; chunks: number };
  error?: WireError;
  /** When the coordinator last spoke about this operation. */
  lastHeard: number;
  /** The coordinator has seen the final phase: nothing left to report or undo. */
  delivered: boolean;
  readonly controller: AbortController;
  /** The running step (commit, stage, finalize); settles, never rejects. */
  work: Promise<void>;
}

interface TrackedBackup extends Tracked {
  readonly request: NodeBackupRequest;
  descriptor?: NodeDescriptor;
}

interface TrackedRestore extends Tracked {
  readonly request: NodeRestoreRequest;
}

/**
 * A node's internal backup endpoints over its `LocalParticipant`, framework-
 * neutral like `createBackupApi`: the host mounts `handle` for `/internal/...`
 * (outside `/v1`) and passes method, path, parsed JSON body and headers.
 *
 * Long steps (commit, stage, finalize) answer 202 at once and run in the
 * background; the coordinator follows them with status polls. Every message
 * about an operation counts as a heartbeat: an operation that hears nothing
 * for `abortAfterMs` is aborted here, and a finished backup whose result the
 * coordinator never collected is removed from the storage.
 */
export function createParticipantApi(participant: LocalParticipant, options: ParticipantApiOptions): ParticipantApi {
  const { secret } = options;
  if (typeof secret !== 'string' || secret === '') {
    throw new BackupError(ErrorCode.CONFIG, 'the participant API needs a cluster secret');
  }
  const abortAfterMs = options.abortAfterMs ?? DEFAULT_ABORT_AFTER_MS;
  const warn = (message: string): void => (options.logger ?? { warn: (text: string) => process.emitWarning(text, 'BackupParticipant') }).warn(message);
  const node = participant.node;
  const backups = new Map<string, TrackedBackup>();
  const restores = new Map<string, TrackedRestore>();
  let closed = false;

  const watchdog = setInterval(() => void sweep(), Math.max(10, Math.min(1_000, Math.floor(abortAfterMs / 4))));
  watchdog.unref();

  function track<T extends Tracked>(fields: Omit<T, keyof Tracked>): T {
    return {
      ...fields,
      phase: 'ACCEPTED',
      bytes: 0,
      done: { files: 0, chunks: 0 },
      lastHeard: Date.now(),
      delivered: false,
      controller: new AbortController(),
      work: Promise.resolve(),
    } as T;
  }

  /** Progress callbacks that keep an entry's counts for the status polls. */
  function counting(entry: Tracked): TransferProgress {
    return {
      onBytes: (bytes) => (entry.bytes += bytes),
      onPlanned: (totals) => (entry.planned = totals),
      onDone: (done) => {
        entry.done.files += done.files;
        entry.done.chunks += done.chunks;
      },
    };
  }

  function fail(entry: Tracked, error: unknown): void {
    entry.phase = 'FAILED';
    entry.error = toWireError(error);
  }

  function silence(): BackupError {
    return new BackupError(ErrorCode.ABORTED, `node ${node} heard nothing from the coordinator for ${abortAfterMs} ms and aborted`);
  }

  /** Ends what the coordinator abandoned: anything not final, and finished backups it never collected. */
  async function sweep(): Promise<void> {
    const now = Date.now();
    for (const [id, entry] of backups) {
      if (now - entry.lastHeard < abortAfterMs) continue;
      backups.delete(id);
      if (entry.delivered || entry.phase === 'FAILED') continue;
      warn(`backup ${id}: ${silence().message}`);
      await abortBackupEntry(entry, silence()).catch((error: unknown) => warn(`backup ${id}: cleanup after abort failed: ${toWireError(error).message}`));
    }
    for (const [id, entry] of restores) {
      if (now - entry.lastHeard < abortAfterMs) continue;
      // Installing is not interrupted: half-installed collections would be worse than finishing.
      if (entry.phase === 'FINALIZING') continue;
      restores.delete(id);
      if (entry.delivered || isFinalPhase(entry.phase)) continue;
      warn(`restore ${id}: ${silence().message}`);
      await abortRestoreEntry(entry, silence()).catch((error: unknown) => warn(`restore ${id}: cleanup after abort failed: ${toWireError(error).message}`));
    }
  }

  async function abortBackupEntry(entry: TrackedBackup, reason: BackupError): Promise<void> {
    entry.controller.abort(reason);
    await participant.abortBackup(entry.request.id);
    await entry.work;
    // Finished before the abort arrived: the backup as a whole failed, so this node's part goes too.
    if (entry.phase === 'SUCCESS') await participant.discardBackup(entry.request);
    if (entry.phase !== 'FAILED') fail(entry, reason);
  }

  async function abortRestoreEntry(entry: TrackedRestore, reason: BackupError): Promise<void> {
    if (entry.phase === 'FINALIZING' || entry.phase === 'SUCCESS') return; // installed or installing: nothing to take back
    entry.controller.abort(reason);
    await entry.work;
    await participant.abortRestore(entry.request.id);
    if (entry.phase !== 'FAILED') fail(entry, reason);
  }

  function status(entry: TrackedBackup | TrackedRestore): ParticipantStatus {
    if (isFinalPhase(entry.phase)) entry.delivered = true;
    return {
      node,
      id: entry.request.id,
      phase: entry.phase,
      bytes: entry.bytes,
      ...(entry.planned ? { planned: entry.planned } : {}),
      done: { ...entry.done },
      ...(entry.error ? { error: entry.error } : {}),
      ...('descriptor' in entry && entry.descriptor ? { descriptor: entry.descriptor } : {}),
    };
  }

  function known<T extends Tracked>(entries: Map<string, T>, id: string, what: string): T {
    const entry = entries.get(id);
    if (!entry) throw new BackupError(ErrorCode.NOT_FOUND, `${what} ${id} is not known on node ${node} (never accepted, or aborted)`);
    entry.lastHeard = Date.now();
    return entry;
  }

  function busy<T extends Tracked & { request: { id: string } }>(entries: Map<string, T>, id: string, what: string): void {
    for (const [other, entry] of entries) {
      if (other !== id && !isFinalPhase(entry.phase)) {
        throw new BackupError(ErrorCode.CONFLICT, `node ${node} is busy with ${what} ${other}`);
      }
    }
  }

  async function backupAction(route: Extract<ParticipantRoute, { kind: 'backups' }>, body: unknown): Promise<ApiResponse> {
    const { id } = route;
    switch (route.action) {
      case 'can-commit': {
        const request = decodeNodeBackupRequest(body, id);
        const existing = backups.get(id);
        if (existing && existing.phase !== 'ACCEPTED') {
          throw new BackupError(ErrorCode.CONFLICT, `backup ${id} is already ${existing.phase} on node ${node}`);
        }
        busy(backups, id, 'backup');
        await participant.canCommitBackup(request);
        backups.set(id, track<TrackedBackup>({ request }));
        return { status: 200, body: { node, id, phase: 'ACCEPTED' } };
      }
      case 'commit': {
        const entry = known(backups, id, 'backup');
        if (entry.phase === 'ACCEPTED') {
          entry.phase = 'STARTED';
          entry.work = participant
            .commitBackup(entry.request, {
              signal: entry.controller.signal,
              onTransferring: () => {
                if (entry.phase === 'STARTED') entry.phase = 'TRANSFERRING';
              },
              ...counting(entry),
            })
            .then(
              (descriptor) => {
                entry.descriptor = descriptor;
                entry.phase = 'SUCCESS';
              },
              (error: unknown) => fail(entry, error),
            );
        }
        return { status: 202, body: status(entry) };
      }
      case 'status':
        return { status: 200, body: status(known(backups, id, 'backup')) };
      case 'abort': {
        const entry = backups.get(id);
        if (entry) {
          backups.delete(id);
          await abortBackupEntry(entry, new BackupError(ErrorCode.ABORTED, `backup ${id} was aborted by the coordinator`));
        }
        return { status: 200, body: { node, id, phase: 'FAILED' } };
      }
    }
  }

  async function restoreAction(route: Extract<ParticipantRoute, { kind: 'restores' }>, body: unknown): Promise<ApiResponse> {
    const { id } = route;
    switch (route.action) {
      case 'can-restore': {
        const request = decodeNodeRestoreRequest(body, id);
        const existing = restores.get(id);
        if (existing && existing.phase !== 'ACCEPTED' && !isFinalPhase(existing.phase)) {
          throw new BackupError(ErrorCode.CONFLICT, `restore ${id} is already ${existing.phase} on node ${node}`);
        }
        busy(restores, id, 'restore of backup');
        await participant.canRestore(request, { signal: AbortSignal.timeout(abortAfterMs) });
        restores.set(id, track<TrackedRestore>({ request }));
        return { status: 200, body: { node, id, phase: 'ACCEPTED' } };
      }
      case 'stage': {
        const entry = known(restores, id, 'restore');
        if (entry.phase === 'ACCEPTED') {
          entry.phase = 'TRANSFERRING';
          entry.work = participant.stageRestore(entry.request, { signal: entry.controller.signal, ...counting(entry) }).then(
            () => {
              if (entry.phase === 'TRANSFERRING') entry.phase = 'TRANSFERRED';
            },
            (error: unknown) => fail(entry, error),
          );
        }
        return { status: 202, body: status(entry) };
      }
      case 'finalize': {
        const entry = known(restores, id, 'restore');
        if (entry.phase === 'TRANSFERRED') {
          entry.phase = 'FINALIZING';
          entry.work = participant.finalizeRestore(id).then(
            () => {
              entry.phase = 'SUCCESS';
            },
            (error: unknown) => fail(entry, error),
          );
        } else if (entry.phase !== 'FINALIZING' && !isFinalPhase(entry.phase)) {
          throw new BackupError(ErrorCode.CONFLICT, `restore ${id} is ${entry.phase} on node ${node}: it can only be finalized once staged`);
        }
        return { status: 202, body: status(entry) };
      }
      case 'status':
        return { status: 200, body: status(known(restores, id, 'restore')) };
      case 'abort': {
        const entry = restores.get(id);
        if (entry) {
          if (entry.phase === 'FINALIZING') {
            throw new BackupError(ErrorCode.CONFLICT, `restore ${id} is installing on node ${node} and cannot be aborted`);
          }
          restores.delete(id);
          await abortRestoreEntry(entry, new BackupError(ErrorCode.ABORTED, `restore ${id} was aborted by the coordinator`));
        } else {
          await participant.abortRestore(id); // accepted by a LocalParticipant without this API's knowledge: still undo it
        }
        return { status: 200, body: { node, id, phase: 'FAILED' } };
      }
    }
  }

  return {
    async handle(request) {
      if (!isParticipantPath(request.path)) return undefined;
      // The secret first: nothing about an unauthenticated request is processed, not even its path.
      if (!hasClusterSecret(request.headers, secret)) {
        return { status: 401, body: wireErrorBody(new BackupError(ErrorCode.ACCESS_DENIED, 'missing or wrong cluster secret')) };
      }
      try {
        if (closed) throw new BackupError(ErrorCode.UNAVAILABLE, `node ${node} is shutting down`);
        const route = parseParticipantPath(request.path);
        if (!route) throw new BackupError(ErrorCode.NOT_FOUND, `no internal endpoint ${request.path}`);
        const method = request.method.toUpperCase();
        const expected = route.action === 'status' ? 'GET' : 'POST';
        if (method !== expected)
          return { status: 405, body: wireErrorBody(new BackupError(ErrorCode.INVALID_ARGUMENT, `use ${expected} for ${route.action}`)) };
        return route.kind === 'backups' ? await backupAction(route, request.body) : await restoreAction(route, request.body);
      } catch (error) {
        return { status: httpStatusFor(error), body: wireErrorBody(error) };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(watchdog);
      const reason = new BackupError(ErrorCode.ABORTED, `node ${node} shut down`);
      const ending = [
        ...[...backups.values()].filter((entry) => !isFinalPhase(entry.phase)).map((entry) => abortBackupEntry(entry, reason)),
        ...[...restores.values()].map((entry) => (entry.phase === 'FINALIZING' ? entry.work : abortRestoreEntry(entry, reason))),
      ];
      backups.clear();
      restores.clear();
      await Promise.allSettled(ending);
    },
  };
}
