import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupEngine } from '../engine/engine.ts';
import { toGiB } from '../engine/engine.ts';
import type { Location } from '../provider.ts';
import type { BackupStatusReport, OperationProgress } from '../engine/types.ts';
import { BackupTransfers } from '../transfer/backup-transfers.ts';
import { errorBody, httpStatusFor } from './error-status.ts';
import { checkRequestLocation } from '../engine/location-check.ts';
import { validateBackupId, validateLocation } from '../engine/request-validation.ts';
import { parseCreateBody, parseRestoreBody } from './request-body.ts';
import { createTransferApi } from './transfer-api.ts';

/** A request as any HTTP framework can describe it. */
export interface BackupApiRequest {
  readonly method: string;
  /** The path after `/v1`, e.g. `/backups/s3/my-id/restore`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
}

export interface BackupApiResponse {
  readonly status: number;
  /** JSON to send; absent for 204. */
  readonly body?: unknown;
}

export interface BackupApi {
  /** Answers a `/backups...` request; resolves undefined for any other path (not ours: pass it on). */
  handle(request: BackupApiRequest): Promise<BackupApiResponse | undefined>;
  /** Copies and verifications started through this API (`/backups/{backend}/{id}/copy|verify`). */
  readonly transfers: BackupTransfers;
  /** Aborts running copies and verifications and waits for them; call before closing the providers. */
  close(): Promise<void>;
}

type Route =
  | { readonly kind: 'collection'; readonly backend: string }
  | { readonly kind: 'backup'; readonly backend: string; readonly id: string }
  | { readonly kind: 'restore'; readonly backend: string; readonly id: string };

/** Matches `/backups/{backend}`, `/backups/{backend}/{id}` and `/backups/{backend}/{id}/restore`. */
function route(path: string): Route | undefined {
  const segments = path.replace(/\/+$/, '').split('/').slice(1).map(decodeSegment);
  if (segments[0] !== 'backups' || segments.length < 2 || segments.length > 4) return undefined;
  const [, backend, id, tail] = segments as [string, string, string?, string?];
  if (backend === '' || id === '') return undefined;
  if (id === undefined) return { kind: 'collection', backend };
  if (tail === undefined) return { kind: 'backup', backend, id };
  return tail === 'restore' ? { kind: 'restore', backend, id } : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const QUERY_FIELDS = { bucket: "'bucket' query parameter", path: "'path' query parameter" };

/** The `bucket` and `path` query parameters, checked in form and by the provider (e.g. confined paths). */
async function overrides(engine: BackupEngine, backend: string, query: URLSearchParams): Promise<Location> {
  const location = validateLocation(query.get('bucket') ?? undefined, query.get('path') ?? undefined, QUERY_FIELDS);
  await checkRequestLocation(engine.providers.get(backend), location, QUERY_FIELDS);
  return location;
}

function time(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function statusBody(report: BackupStatusReport) {
  return {
    id: report.id,
    backend: report.backend,
    path: report.path,
    status: report.status,
    error: report.error,
    startedAt: time(report.startedAt),
    completedAt: time(report.completedAt),
    size: toGiB(report.sizeBytes),
    ...(report.skipped.length > 0 ? { skipped: report.skipped } : {}),
    ...(report.incrementalBaseBackupId ? { incremental_base_backup_id: report.incrementalBaseBackupId } : {}),
    ...(report.bytesUploaded !== undefined ? { bytesUploaded: report.bytesUploaded, bytesReused: report.bytesReused ?? 0 } : {}),
    ...(report.progress ? { progress: progressBody(report.progress) } : {}),
  };
}

/**
 * Progress as JSON, an extra field the seed's clients ignore: unknown totals
 * are null (not absent), so a reader sees every field from the first poll.
 */
export function progressBody(progress: OperationProgress) {
  return {
    bytesDone: progress.bytesDone,
    bytesTotal: progress.bytesTotal ?? null,
    filesDone: progress.filesDone,
    filesTotal: progress.filesTotal ?? null,
    chunksDone: progress.chunksDone,
    chunksTotal: progress.chunksTotal ?? null,
    bytesPerSecond: progress.bytesPerSecond,
    etaSeconds: progress.etaSeconds ?? null,
  };
}

/** Every string in a JSON value, redacted. */
function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item, redact)]));
  }
  return value;
}

function methodNotAllowed(method: string, path: string): BackupApiResponse {
  return { status: 405, body: errorBody(`method ${method} is not allowed on /v1${path}`) };
}

/**
 * The `/v1/backups` endpoints of the Weaviate-compatible API over `engine`,
 * independent of any HTTP framework: the host parses the body and mounts
 * `handle` at `/v1`, sending `status` and `body` (JSON) back.
 */
export function createBackupApi(engine: BackupEngine): BackupApi {
  async function dispatch(request: BackupApiRequest, target: Route): Promise<BackupApiResponse> {
    const method = request.method.toUpperCase();
    // An id that can never exist is refused naming it, whatever the route (a 300-character one was a 500).
    if (target.kind !== 'collection') validateBackupId(target.id);
    const location = (): Promise<Location> => overrides(engine, target.backend, request.query);
    switch (target.kind) {
      case 'collection': {
        if (method === 'POST') {
          const body = parseCreateBody(request.body);
          const result = await engine.createBackup({
            backend: target.backend,
            id: body.id as string, // validated by the engine, whatever it is
            include: body.include,
            exclude: body.exclude,
            config: body.config,
            incrementalBaseBackupId: body.incrementalBaseBackupId,
          });
          return { status: 200, body: result };
        }
        if (method === 'GET') {
          const order = request.query.get('order') ?? 'desc';
          if (order !== 'asc' && order !== 'desc') {
            throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid order '${order}': use asc or desc`);
          }
          const reports = await engine.listBackups(target.backend, { order, location: await location() });
          return {
            status: 200,
            body: reports.map((report) => ({
              id: report.id,
              classes: report.classes,
              status: report.status,
              startedAt: time(report.startedAt),
              completedAt: time(report.completedAt),
              size: toGiB(report.sizeBytes),
            })),
          };
        }
        return methodNotAllowed(method, request.path);
      }
      case 'backup': {
        if (method === 'GET') {
          return { status: 200, body: statusBody(await engine.backupStatus(target.backend, target.id, await location())) };
        }
        if (method === 'DELETE') {
          // Plain DELETE cancels, as in Weaviate (a finished backup answers 422); `?purge=true` deletes a finished one.
          const purge = request.query.get('purge');
          if (purge !== null && purge !== 'true' && purge !== 'false') {
            throw new BackupError(ErrorCode.INVALID_ARGUMENT, "malformed request: 'purge' query parameter must be true or false");
          }
          if (purge === 'true') {
            validateBackupId(target.id);
            await engine.deleteBackup(target.backend, target.id, await location());
          } else {
            await engine.cancelBackup(target.backend, target.id, await location());
          }
          return { status: 204 };
        }
        return methodNotAllowed(method, request.path);
      }
      case 'restore': {
        if (method === 'POST') {
          const body = parseRestoreBody(request.body);
          const result = await engine.restore({
            backend: target.backend,
            id: target.id,
            include: body.include,
            exclude: body.exclude,
            nodeMapping: body.nodeMapping,
            config: body.config,
          });
          return { status: 200, body: result };
        }
        if (method === 'GET') {
          const report = await engine.restoreStatus(target.backend, target.id, await location());
          return {
            status: 200,
            body: {
              id: report.id,
              backend: report.backend,
              path: report.path,
              status: report.status,
              error: report.error,
              ...(report.progress ? { progress: progressBody(report.progress) } : {}),
            },
          };
        }
        if (method === 'DELETE') {
          await engine.cancelRestore(target.backend, target.id, await location());
          return { status: 204 };
        }
        return methodNotAllowed(method, request.path);
      }
    }
  }

  const transfers = new BackupTransfers(engine.providers, { events: engine.events, node: engine.nodeName, retry: engine.retry });
  const transferApi = createTransferApi(transfers);

  return {
    transfers,
    close: () => transfers.close(),
    async handle(request) {
      const transfer = await transferApi.handle(request);
      // A copy's or verification's error comes from two backends' SDKs: redacted like the engine's.
      if (transfer) return transfer.body === undefined ? transfer : { ...transfer, body: redactStrings(transfer.body, engine.redact) };
      const target = route(request.path);
      if (!target) return undefined;
      try {
        return await dispatch(request, target);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { status: httpStatusFor(error), body: errorBody(engine.redact(message)) };
      }
    },
  };
}
