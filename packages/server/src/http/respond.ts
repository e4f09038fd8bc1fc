import type { ServerResponse } from 'node:http';

/** Writes a JSON answer (or an empty one when `body` is undefined or the status forbids a body). */
export function sendJson(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined || status === 204 || status === 304) {
    response.writeHead(status, { 'content-length': '0' });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
