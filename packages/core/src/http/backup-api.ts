import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupEngine } from '../engine/engine.ts';
import { toGiB } from '../engine/engine.ts';
import type { Location } from '../provider.ts';
import type { BackupStatusReport, OperationProgress } from '../engine/types.ts';
import { BackupTransfers } from '../transfer/backup-transfers.ts';
import { errorBody, httpStatusFor } from './error-status.ts';
import { checkRequestLocation } from '../engine/location-check.ts';
import { validateBackupId, validateLocation } from '../engine/request-validation.ts';
import type { ApiRequest, ApiResponse } from './messages.ts';
import { parseCreateBody, parseRestoreBody } from './request-body.ts';
import { methodNotAllowedMessage, Router } from './router.ts';
import { registerTransferRoutes } from './transfer-api.ts';

/** A request to the backup API (the path is below `/v1`, e.g. `/backups/s3/my-id/restore`). */
export type BackupApiRequest = ApiRequest;
export type BackupApiResponse = ApiResponse;

export interface BackupApi {
  /** Answers a `/backups...` request; resolves undefined for any other path (not ours: pass it on). */
  handle(request: BackupApiRequest): Promise<BackupApiResponse | undefined>;
  /** Copies and verifications started through this API (`/backups/{backend}/{id}/copy|verify`). */
  readonly transfers: BackupTransfers;
  /** Aborts running copies and verifications and waits for them; call before closing the providers. */
  close(): Promise<void>;
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

/**
 * The `/v1/backups` endpoints of the Weaviate-compatible API over `engine`,
 * independent of any HTTP framework: the host parses the body and mounts
 * `handle` at `/v1`, sending `status` and `body` (JSON) back.
 */
export function createBackupApi(engine: BackupEngine): BackupApi {
  const location = (backend: string, query: URLSearchParams): Promise<Location> => overrides(engine, backend, query);
  const router = new Router({ headAsGet: false });

  router.add('POST', '/backups/{backend}', async ({ params, body }) => {
    const fields = parseCreateBody(body);
    const result = await engine.createBackup({
      backend: params.backend!,
      id: fields.id as string, // validated by the engine, whatever it is
      include: fields.include,
      exclude: fields.exclude,
      config: fields.config,
      incrementalBaseBackupId: fields.incrementalBaseBackupId,
    });
    return { status: 200, body: result };
  });
  router.add('GET', '/backups/{backend}', async ({ params, query }) => {
    const order = query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid order '${order}': use asc or desc`);
    }
    const reports = await engine.listBackups(params.backend!, { order, location: await location(params.backend!, query) });
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
  });

  router.add('GET', '/backups/{backend}/{id}', async ({ params, query }) => ({
    status: 200,
    body: statusBody(await engine.backupStatus(params.backend!, params.id!, await location(params.backend!, query))),
  }));
  router.add('DELETE', '/backups/{backend}/{id}', async ({ params, query }) => {
    // Plain DELETE cancels, as in Weaviate (a finished backup answers 422); `?purge=true` deletes a finished one.
    const purge = query.get('purge');
    if (purge !== null && purge !== 'true' && purge !== 'false') {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, "malformed request: 'purge' query parameter must be true or false");
    }
    if (purge === 'true') await engine.deleteBackup(params.backend!, params.id!, await location(params.backend!, query));
    else await engine.cancelBackup(params.backend!, params.id!, await location(params.backend!, query));
    return { status: 204 };
  });

  router.add('POST', '/backups/{backend}/{id}/restore', async ({ params, body }) => {
    const fields = parseRestoreBody(body);
    const result = await engine.restore({
      backend: params.backend!,
      id: params.id!,
      include: fields.include,
      exclude: fields.exclude,
      nodeMapping: fields.nodeMapping,
      config: fields.config,
    });
    return { status: 200, body: result };
  });
  router.add('GET', '/backups/{backend}/{id}/restore', async ({ params, query }) => {
    const report = await engine.restoreStatus(params.backend!, params.id!, await location(params.backend!, query));
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
  });
  router.add('DELETE', '/backups/{backend}/{id}/restore', async ({ params, query }) => {
    await engine.cancelRestore(params.backend!, params.id!, await location(params.backend!, query));
    return { status: 204 };
  });

  const transfers = new BackupTransfers(engine.providers, { events: engine.events, node: engine.nodeName, retry: engine.retry });
  registerTransferRoutes(router, transfers, (body) => redactStrings(body, engine.redact));

  return {
    transfers,
    close: () => transfers.close(),
    async handle(request) {
      const method = request.method.toUpperCase();
      const match = router.match(method, request.path);
      if (match.kind === 'not-found') return undefined;
      try {
        if (match.kind === 'method-not-allowed') {
          return { status: 405, body: errorBody(methodNotAllowedMessage(method, `/v1${request.path}`, match.allowed)) };
        }
        // An id that can never exist is refused naming it, whatever the route (a 300-character one was a 500).
        if (match.params.id !== undefined) validateBackupId(match.params.id);
        return await match.handler({ ...request, method, params: match.params });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { status: httpStatusFor(error), body: errorBody(engine.redact(message)) };
      }
    },
  };
}
