import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, type ParticipantApi } from '@backup/core';
import { readJsonBody } from '../http/body.ts';
import { statusForError } from '../http/errors.ts';
import { sendJson } from '../http/respond.ts';

/**
 * Serves `@backup/core`'s participant API (`/internal/backups/...`, outside
 * `/v1`) on the node's HTTP port. The API checks the cluster secret itself.
 */
export function participantHandler(api: ParticipantApi, maxBodyBytes: number, logError: (error: unknown, request: IncomingMessage) => void) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = (request.method ?? 'GET').toUpperCase();
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(request, maxBodyBytes);
      const answer = await api.handle({ method, path: url.pathname, query: url.searchParams, body, headers: request.headers });
      if (answer === undefined) return sendJson(response, 404, errorBody(`no route for ${url.pathname}`));
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      const status = statusForError(error);
      if (status >= 500) logError(error, request);
      if (response.headersSent) return void response.destroy();
      sendJson(response, status, errorBody(error instanceof Error ? error.message : String(error)));
    }
  };
}
