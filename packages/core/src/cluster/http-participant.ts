import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError, ErrorCode, abortError } from '../errors.ts';
import type { NodeDescriptor } from '../format/descriptors.ts';
import type { BackupProgress, NodeBackupRequest, NodeRestoreRequest, Participant, RestoreProgress, TransferProgress } from '../engine/participant.ts';
import { bearer } from './cluster-secret.ts';
import {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_UNREACHABLE_AFTER_MS,
  fromWireError,
  nodeMessage,
  participantPath,
  type BackupAction,
  type OperationKind,
  type ParticipantStatus,
  type RestoreAction,
} from './participant-protocol.ts';

export interface HttpParticipantOptions {
  /** The node's name, as the cluster knows it. */
  readonly node: string;
  /** Where the node serves its participant API, e.g. `http://10.0.0.2:8080` (paths `/internal/...` are appended). */
  readonly url: string;
  /** The cluster secret, sent as `Authorization: Bearer <secret>`. */
  readonly secret: string;
  /** Deadline of each request (default 5 s, Weaviate's `_TimeoutQueryStatus`). */
  readonly requestTimeoutMs?: number | undefined;
  /** Pause between status polls of a running commit, stage or finalize (default 1 s). */
  readonly pollIntervalMs?: number | undefined;
  /** How long requests to the node may keep failing before it is given up (default 20 s, the participant's own abort timeout). */
  readonly unreachableAfterMs?: number | undefined;
}

/** A transport failure: no answer from the node at all (refused, reset, timed out). */
class Unreachable extends Error {}

/**
 * The coordinator's handle on another node: the `Participant` calls travel as
 * small JSON requests to that node's `createParticipantApi`. Long steps are
 * not one long request: `commitBackup` and `stageRestore` start the step and
 * poll its status (each poll with its own deadline), so a node that dies is
 * noticed within `unreachableAfterMs` and named in the error
 * ("node node2: ..."). Errors keep the code the node raised.
 */
export class HttpParticipant implements Participant {
  readonly node: string;
  readonly url: string;
  readonly #secret: string;
  readonly #requestTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #unreachableAfterMs: number;
  readonly #heartbeats = new Map<string, AbortController>();

  constructor(options: HttpParticipantOptions) {
    if (!options.secret) throw new BackupError(ErrorCode.CONFIG, `no cluster secret to reach node ${options.node} with`);
    this.node = options.node;
    this.url = options.url.replace(/\/+$/, '');
    this.#secret = options.secret;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#unreachableAfterMs = options.unreachableAfterMs ?? DEFAULT_UNREACHABLE_AFTER_MS;
  }

  async canCommitBackup(request: NodeBackupRequest, options: { signal: AbortSignal }): Promise<void> {
    await this.#once('backups', request.id, 'can-commit', request, options.signal);
  }

  async commitBackup(request: NodeBackupRequest, options: { signal: AbortSignal } & BackupProgress): Promise<NodeDescriptor> {
    let transferring = false;
    const status = await this.#follow('backups', request.id, 'commit', options, (report) => {
      if (!transferring && report.phase !== 'ACCEPTED' && report.phase !== 'STARTED') {
        transferring = true;
        options.onTransferring?.();
      }
    });
    if (!status.descriptor) throw new BackupError(ErrorCode.CORRUPT, nodeMessage(this.node, `backup ${request.id} succeeded without a descriptor`));
    return status.descriptor;
  }

  async abortBackup(id: string): Promise<void> {
    await this.#once('backups', id, 'abort', undefined, undefined);
  }

  async canRestore(request: NodeRestoreRequest, options: { signal: AbortSignal }): Promise<void> {
    await this.#once('restores', request.id, 'can-restore', request, options.signal);
  }

  async stageRestore(request: NodeRestoreRequest, options: { signal: AbortSignal } & RestoreProgress): Promise<void> {
    // Staging directories live on that node, which cleans them up itself; `onStaging` is for local ones.
    await this.#follow('restores', request.id, 'stage', options, () => {});
    this.#keepAlive(request.id);
  }

  /**
   * A staged node waits for the others before it installs; status polls keep
   * telling it the coordinator is alive, so its watchdog does not abort, until
   * `finalizeRestore` or `abortRestore`.
   */
  #keepAlive(id: string): void {
    this.#heartbeats.get(id)?.abort();
    const controller = new AbortController();
    this.#heartbeats.set(id, controller);
    void (async () => {
      while (!controller.signal.aborted) {
        await sleep(this.#pollIntervalMs, undefined, { signal: controller.signal }).catch(() => {});
        if (controller.signal.aborted) return;
        await this.#request('restores', id, 'status', undefined, controller.signal).catch(() => {});
      }
    })();
  }

  #stopKeepAlive(id: string): void {
    this.#heartbeats.get(id)?.abort();
    this.#heartbeats.delete(id);
  }

  async finalizeRestore(id: string): Promise<void> {
    this.#stopKeepAlive(id);
    // Installing is not cancelled, so no signal: it runs until the node reports an end or is unreachable.
    await this.#follow('restores', id, 'finalize', { signal: new AbortController().signal }, () => {});
  }

  async abortRestore(id: string): Promise<void> {
    this.#stopKeepAlive(id);
    await this.#once('restores', id, 'abort', undefined, undefined);
  }

  /**
   * Starts a long step, then polls its status until it ends. Progress comes
   * back in the polls; a step that fails or is aborted here is also aborted
   * on the node (the coordinator aborts every node too: both are idempotent).
   */
  async #follow(
    kind: OperationKind,
    id: string,
    action: 'commit' | 'stage' | 'finalize',
    options: { signal: AbortSignal } & TransferProgress,
    onReport: (status: ParticipantStatus) => void,
  ): Promise<ParticipantStatus> {
    try {
      return await this.#poll(kind, id, action, options, onReport);
    } catch (error) {
      if (action !== 'finalize') await this.#once(kind, id, 'abort', undefined, undefined).catch(() => {});
      throw error;
    }
  }

  async #poll(
    kind: OperationKind,
    id: string,
    action: 'commit' | 'stage' | 'finalize',
    options: { signal: AbortSignal } & TransferProgress,
    onReport: (status: ParticipantStatus) => void,
  ): Promise<ParticipantStatus> {
    const { signal } = options;
    let bytes = 0;
    let planned = false;
    const done = { files: 0, chunks: 0 };
    // The node's counts come back in every poll; passed on as the deltas a local participant reports.
    const report = (status: ParticipantStatus): void => {
      if (status.planned && !planned) {
        planned = true;
        options.onPlanned?.(status.planned);
      }
      if (status.bytes > bytes) {
        options.onBytes?.(status.bytes - bytes);
        bytes = status.bytes;
      }
      if (status.done && (status.done.files > done.files || status.done.chunks > done.chunks)) {
        options.onDone?.({ files: Math.max(0, status.done.files - done.files), chunks: Math.max(0, status.done.chunks - done.chunks) });
        done.files = Math.max(done.files, status.done.files);
        done.chunks = Math.max(done.chunks, status.done.chunks);
      }
      onReport(status);
    };
    report(await this.#patient(kind, id, action, signal));
    for (;;) {
      await sleep(this.#pollIntervalMs, undefined, { signal }).catch(() => {});
      if (signal.aborted) throw abortError(signal);
      const status = await this.#patient(kind, id, 'status', signal);
      report(status);
      if (status.phase === 'FAILED') throw fromWireError(this.node, status.error ?? { code: ErrorCode.IO, message: `${action} failed` });
      // Staging ends at TRANSFERRED (installing waits for every node); commit and finalize at SUCCESS.
      if (status.phase === (action === 'stage' ? 'TRANSFERRED' : 'SUCCESS')) return status;
    }
  }

  /** One request, retried while the node is unreachable, up to `unreachableAfterMs` after the first failure. */
  async #patient(kind: OperationKind, id: string, action: BackupAction | RestoreAction, signal: AbortSignal): Promise<ParticipantStatus> {
    let failingSince: number | undefined;
    for (;;) {
      try {
        return (await this.#request(kind, id, action, undefined, signal)) as ParticipantStatus;
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        if (!(error instanceof Unreachable)) throw error;
        failingSince ??= Date.now();
        const waited = Date.now() - failingSince;
        if (waited >= this.#unreachableAfterMs) {
          throw new BackupError(ErrorCode.UNAVAILABLE, nodeMessage(this.node, `unreachable for ${waited} ms: ${error.message}`), {
            cause: error.cause,
          });
        }
        await sleep(Math.min(this.#pollIntervalMs, this.#unreachableAfterMs - waited), undefined, { signal }).catch(() => {});
      }
    }
  }

  /** A single request; an unreachable node is an UNAVAILABLE error naming it. */
  async #once(kind: OperationKind, id: string, action: BackupAction | RestoreAction, body: unknown, signal: AbortSignal | undefined) {
    try {
      return await this.#request(kind, id, action, body, signal);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      if (error instanceof Unreachable) {
        throw new BackupError(ErrorCode.UNAVAILABLE, nodeMessage(this.node, `unreachable: ${error.message}`), { cause: error.cause });
      }
      throw error;
    }
  }

  async #request(kind: OperationKind, id: string, action: BackupAction | RestoreAction, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    const url = `${this.url}${participantPath(kind, id, action)}`;
    let response: Response;
    let text: string;
    try {
      // Only the timeout ends the request itself: aborting an in-flight fetch
      // (a cancel mid-poll) can leave undici's pool to the node unable to send
      // the next request (the explicit abort) until it times out. A caller's
      // abort is answered at once; the request finishes in the background.
      const exchange = (async () => {
        const answer = await fetch(url, {
          method: action === 'status' ? 'GET' : 'POST',
          headers: {
            authorization: bearer(this.#secret),
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: timeout,
        });
        return { answer, content: await answer.text() };
      })();
      exchange.catch(() => {}); // settles after a caller's abort too; nobody waits for it then
      ({ answer: response, content: text } = await raceAbort(exchange, signal));
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      const reason = timeout.aborted ? `no answer within ${this.#requestTimeoutMs} ms` : describeFetchError(error);
      throw new Unreachable(`${action} ${id}: ${reason}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed;
    const hasCode = typeof (parsed as { code?: unknown } | undefined)?.code === 'string';
    // A gateway or proxy answering for a node that is not there is the same as no answer.
    if (!hasCode && (response.status === 502 || response.status === 503 || response.status === 504)) {
      throw new Unreachable(`${action} ${id}: HTTP ${response.status}`);
    }
    throw fromWireError(this.node, parsed, { status: response.status });
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return await promise;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
