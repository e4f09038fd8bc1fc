import { BackupError, ErrorCode } from '../errors.ts';
import type { Location } from '../provider.ts';
import type { BackupTransfers, CopyJobStatus, VerifyJobStatus } from '../transfer/backup-transfers.ts';
import { validateLocation } from '../engine/request-validation.ts';
import type { ApiResponse, RouteRequest } from './messages.ts';
import { readFields, requireObject } from './request-body.ts';
import type { Router } from './router.ts';

type Json = Record<string, unknown>;

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
    // Once it succeeded: how many chunks it wrote, and how many of those the backend copied itself.
    ...(status.result ? { copied: status.result.copied, copiedServerSide: status.result.copiedServerSide } : {}),
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

/** The route's backend and backup id (checked by the API before any handler runs). */
function targetOf(request: RouteRequest): { backend: string; id: string } {
  return { backend: request.params.backend!, id: request.params.id! };
}

const COPY = '/backups/{backend}/{id}/copy';
const VERIFY = '/backups/{backend}/{id}/verify';

/**
 * The copy and verify endpoints, next to the seed's `/backups` paths:
 * `POST|GET|DELETE /backups/{backend}/{id}/copy` (start, status, cancel) and
 * `POST|GET|DELETE /backups/{backend}/{id}/verify`. A copy's or
 * verification's answer comes from two backends' SDKs: it is passed through
 * `redact` like the engine's messages.
 */
export function registerTransferRoutes(router: Router, transfers: BackupTransfers, redact: (body: unknown) => unknown): void {
  const add = (
    method: string,
    pattern: string,
    handler: (request: RouteRequest, target: { backend: string; id: string }) => Promise<ApiResponse> | ApiResponse,
  ) =>
    router.add(method, pattern, async (request) => {
      const answer = await handler(request, targetOf(request));
      return answer.body === undefined ? answer : { ...answer, body: redact(answer.body) };
    });

  add('POST', COPY, async (request, target) => {
    const body = readFields(requireObject(request.body ?? {}), ['from', 'to', 'verifyExisting', 'concurrency', 'serverSideCopy'], '') as Json;
    const to = fieldsOf(optionalObject(body, 'to'), ['backend', 'bucket', 'path'], 'to.');
    const toBackend = to ? optionalString(to, 'backend', 'to.') : undefined;
    if (!to || !toBackend) throw malformed("'to.backend' is required: where to copy the backup");
    const verifyExisting = body.verifyExisting;
    if (verifyExisting !== undefined && typeof verifyExisting !== 'boolean') throw malformed("'verifyExisting' must be a boolean");
    const serverSideCopy = body.serverSideCopy;
    if (serverSideCopy !== undefined && typeof serverSideCopy !== 'boolean') throw malformed("'serverSideCopy' must be a boolean");
    const concurrency = body.concurrency;
    if (concurrency !== undefined && typeof concurrency !== 'number') throw malformed("'concurrency' must be a number");
    const status = await transfers.startCopy({
      backend: target.backend,
      id: target.id,
      from: locationFrom(fieldsOf(optionalObject(body, 'from'), ['bucket', 'path'], 'from.'), request.query, 'from.'),
      to: { backend: toBackend, ...locationFrom(to, new URLSearchParams(), 'to.') },
      verifyExisting,
      serverSideCopy,
      concurrency,
    });
    return { status: 200, body: copyBody(status) };
  });
  add('GET', COPY, (request, target) => ({
    status: 200,
    body: copyBody(transfers.copyStatus(target.backend, target.id, queryLocation(request.query))),
  }));
  add('DELETE', COPY, async (request, target) => {
    await transfers.cancelCopy(target.backend, target.id, queryLocation(request.query));
    return { status: 204 };
  });

  add('POST', VERIFY, async (request, target) => {
    const body = fieldsOf(requireObject(request.body ?? {}), ['bucket', 'path'], '');
    const status = await transfers.startVerify(target.backend, target.id, locationFrom(body, request.query, ''));
    return { status: 200, body: verifyBody(status) };
  });
  add('GET', VERIFY, (request, target) => ({
    status: 200,
    body: verifyBody(transfers.verifyStatus(target.backend, target.id, queryLocation(request.query))),
  }));
  add('DELETE', VERIFY, async (request, target) => {
    await transfers.cancelVerify(target.backend, target.id, queryLocation(request.query));
    return { status: 204 };
  });
}
