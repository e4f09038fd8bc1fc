import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, type AuthConfig } from './auth.ts';
import { BodyTooLargeError, readJsonBody } from './body.ts';
import { errorBody, methodNotAllowedMessage, type ApiRequest, type ApiResponse, type Router } from '@backup/core';
import { HttpError, statusForError } from './errors.ts';
import { sendJson } from './respond.ts';

/** The framework-neutral shape of `@backup/core`'s backup REST handler. */
export interface BackupApiHandler {
  handle(request: ApiRequest): Promise<ApiResponse | undefined> | ApiResponse | undefined;
}

export interface RequestHandlerOptions {
  readonly router: Router;
  readonly auth: AuthConfig;
  readonly maxBodyBytes: number;
  /** Serves `/v1/backups/**`; absent until the engine is running. */
  readonly backupApi?: () => BackupApiHandler | undefined;
  /** Whether the node takes traffic (`/.well-known/ready`). */
  readonly isReady: () => boolean;
  /** Receives unexpected (500) errors. */
  readonly logError: (error: unknown, request: IncomingMessage) => void;
  /** Path prefix of the API; default `/v1` (a cluster node also serves its local-only routes under another). */
  readonly basePath?: string;
}

const BASE = '/v1';
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The request pipeline: `/v1` prefix, open `.well-known` probes, API-key
 * authentication, bounded JSON body, then the backup mount or the router.
 * Every failure becomes Weaviate's error body with a fitting status; only a
 * bug answers 500.
 */
export function createRequestHandler(options: RequestHandlerOptions) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const answer = await dispatch(options, request);
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      const status = statusForError(error);
      if (status >= 500) options.logError(error, request);
      const message = error instanceof Error ? error.message : String(error);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // A refused body that was not read to its end may still be arriving: do not keep reading it.
      if (status === 413 && !(error instanceof BodyTooLargeError && error.drained)) response.setHeader('connection', 'close');
      sendJson(response, status, error instanceof HttpError && error.emptyBody ? undefined : errorBody(message));
    }
  };
}

async function dispatch(options: RequestHandlerOptions, request: IncomingMessage): Promise<ApiResponse> {
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://localhost');
  const fullPath = url.pathname;
  const base = options.basePath ?? BASE;
  if (fullPath !== base && !fullPath.startsWith(`${base}/`)) throw notFoundPath(fullPath);
  const path = fullPath.slice(base.length) || '/';

  if (path.startsWith('/.well-known/')) return wellKnown(options, method, path);

  authenticate(options.auth, request.headers.authorization);

  if (path === '/backups' || path.startsWith('/backups/')) {
    const api = options.backupApi?.();
    if (api === undefined) throw new HttpError(503, 'the backup engine is not running');
    const body = METHODS_WITH_BODY.has(method) ? await readJsonBody(request, options.maxBodyBytes) : undefined;
    const answer = await api.handle({ method, path, query: url.searchParams, body });
    if (answer === undefined) throw notFoundPath(fullPath);
    return answer;
  }

  const match = options.router.match(method, path);
  if (match.kind === 'not-found') throw notFoundPath(fullPath);
  if (match.kind === 'method-not-allowed') {
    throw new HttpError(405, methodNotAllowedMessage(method, fullPath, match.allowed));
  }
  const body = METHODS_WITH_BODY.has(method) ? await readJsonBody(request, options.maxBodyBytes) : undefined;
  return await match.handler({ method, path, params: match.params, query: url.searchParams, body });
}

function wellKnown(options: RequestHandlerOptions, method: string, path: string): ApiResponse {
  if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, methodNotAllowedMessage(method, `/v1${path}`, ['GET', 'HEAD']));
  if (path === '/.well-known/live') return { status: 200 };
  if (path === '/.well-known/ready') {
    if (!options.isReady()) throw new HttpError(503, 'the node is not ready');
    return { status: 200 };
  }
  throw notFoundPath(`/v1${path}`);
}

function notFoundPath(path: string): HttpError {
  return new HttpError(404, `no route for ${path}`);
}
