import { BackupError, ErrorCode } from '../errors.ts';
import type { Location } from '../provider.ts';
import type { BackupTransfers, CopyJobStatus, VerifyJobStatus } from '../transfer/backup-transfers.ts';
import type { BackupApiRequest, BackupApiResponse } from './backup-api.ts';
import { errorBody, httpStatusFor } from './error-status.ts';
import { validateBackupId, validateLocation } from '../engine/request-validation.ts';
import { readFields, requireObject } from './request-body.ts';

type Json = Record<string, unknown>;

interface TransferRoute {
  readonly kind: 'copy' | 'verify';
  readonly backend: string;
  readonly id: string;
}

/** Matches `/backups/{backend}/{id}/copy` and `/backups/{backend}/{id}/verify`; nothing else. */
function route(path: string): TransferRoute | undefined {
  const segments = path.replace(/\/+$/, '').split('/').slice(1).map(decodeSegment);
  if (segments.length !== 4 || segments[0] !== 'backups') return undefined;
  const [, backend, id, kind] = segments as [string, string, string, string];
  if (backend === '' || id === '' || (kind !== 'copy' && kind !== 'verify')) return undefined;
  return { kind, backend, id };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function malformed(message: string): BackupError {
  return new BackupError(ErrorCode.INVALID_ARGUMENT, `malformed request: ${message}`);
}

function optionalString(object: Json, name: string, where: string): string | undefined {
  const value = object[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw malformed(`'${where}${name}' must be a string`);
  return value;
}

function optionalObject(object: Json, name: string): Json | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(`'${name}' must be an object`);
  return value as Json;
}

/** `{bucket?, path?}` of a body object, else of the query string, checked in form (the provider checks the rest). */
function locationFrom(object: Json | undefined, query: URLSearchParams, where: string): Location {
  const bucket = (object ? optionalString(object, 'bucket', where) : undefined) ?? (query.get('bucket') || undefined);
  const path = (object ? optionalString(object, 'path', where) : undefined) ?? (query.get('path') || undefined);
  return validateLocation(bucket, path, { bucket: `'${where}bucket'`, path: `'${where}path'` });
}

function queryLocation(query: URLSearchParams): Location {
  return locationFrom(undefined, query, '');
}

/** A body object's known fields (case-insensitively), refusing unknown ones. */
function fieldsOf<const Name extends string>(object: Json | undefined, known: readonly Name[], where: string): Json | undefined {
  return object === undefined ? undefined : (readFields(object, known, where) as Json);
}

function time(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function copyBody(status: CopyJobStatus) {
  return {
    id: status.id,
    backend: status.backend,
    path: status.path,
    to: status.to,
    status: status.status,
    error: status.error,
    startedAt: time(status.startedAt),
    completedAt: time(status.completedAt),
    progress: status.progress,
  };
}

function verifyBody(status: VerifyJobStatus) {
  return {
    id: status.id,
    backend: status.backend,
    path: status.path,
    status: status.status,
    error: status.error,
    startedAt: time(status.startedAt),
    completedAt: time(status.completedAt),
    progress: status.progress,
    problems: status.problems,
  };
}

async function copy(transfers: BackupTransfers, target: TransferRoute, request: BackupApiRequest, method: string): Promise<BackupApiResponse> {
  if (method === 'POST') {
    const body = readFields(requireObject(request.body ?? {}), ['from', 'to', 'verifyExisting', 'concurrency'], '') as Json;
    const to = fieldsOf(optionalObject(body, 'to'), ['backend', 'bucket', 'path'], 'to.');
    const toBackend = to ? optionalString(to, 'backend', 'to.') : undefined;
    if (!to || !toBackend) throw malformed("'to.backend' is required: where to copy the backup");
    const verifyExisting = body.verifyExisting;
    if (verifyExisting !== undefined && typeof verifyExisting !== 'boolean') throw malformed("'verifyExisting' must be a boolean");
    const concurrency = body.concurrency;
    if (concurrency !== undefined && typeof concurrency !== 'number') throw malformed("'concurrency' must be a number");
    const status = await transfers.startCopy({
      backend: target.backend,
      id: target.id,
      from: locationFrom(fieldsOf(optionalObject(body, 'from'), ['bucket', 'path'], 'from.'), request.query, 'from.'),
      to: { backend: toBackend, ...locationFrom(to, new URLSearchParams(), 'to.') },
      verifyExisting,
      concurrency,
    });
    return { status: 200, body: copyBody(status) };
  }
  if (method === 'GET') {
    return { status: 200, body: copyBody(transfers.copyStatus(target.backend, target.id, queryLocation(request.query))) };
  }
  if (method === 'DELETE') {
    await transfers.cancelCopy(target.backend, target.id, queryLocation(request.query));
    return { status: 204 };
  }
  return methodNotAllowed(method, request.path);
}

async function verify(transfers: BackupTransfers, target: TransferRoute, request: BackupApiRequest, method: string): Promise<BackupApiResponse> {
  if (method === 'POST') {
    const body = fieldsOf(requireObject(request.body ?? {}), ['bucket', 'path'], '');
    const status = await transfers.startVerify(target.backend, target.id, locationFrom(body, request.query, ''));
    return { status: 200, body: verifyBody(status) };
  }
  if (method === 'GET') {
    return { status: 200, body: verifyBody(transfers.verifyStatus(target.backend, target.id, queryLocation(request.query))) };
  }
  if (method === 'DELETE') {
    await transfers.cancelVerify(target.backend, target.id, queryLocation(request.query));
    return { status: 204 };
  }
  return methodNotAllowed(method, request.path);
}

function methodNotAllowed(method: string, path: string): BackupApiResponse {
  return { status: 405, body: errorBody(`method ${method} is not allowed on /v1${path}`) };
}

/**
 * The copy and verify endpoints, next to the seed's `/backups` paths:
 * `POST|GET|DELETE /backups/{backend}/{id}/copy` (start, status, cancel) and
 * `POST|GET|DELETE /backups/{backend}/{id}/verify`. Resolves undefined for
 * any other path.
 */
export function createTransferApi(transfers: BackupTransfers): {
  handle(request: BackupApiRequest): Promise<BackupApiResponse | undefined>;
} {
  return {
    async handle(request) {
      const target = route(request.path);
      if (!target) return undefined;
      const method = request.method.toUpperCase();
      try {
        validateBackupId(target.id);
        return target.kind === 'copy' ? await copy(transfers, target, request, method) : await verify(transfers, target, request, method);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { status: httpStatusFor(error), body: errorBody(message) };
      }
    },
  };
}
