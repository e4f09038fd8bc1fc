import { httpStatusFor } from '@backup/core';

/**
 * An error with the HTTP status it should be answered with. Route handlers
 * throw it; the server turns it into Weaviate's `{"error":[{"message"}]}` body.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** Answer with no body, as Weaviate does for a missing class or object (Java's `schema().exists()` relies on it). */
  readonly emptyBody: boolean;

  constructor(status: number, message: string, options?: { cause?: unknown; emptyBody?: boolean }) {
    super(message, options);
    this.status = status;
    this.emptyBody = options?.emptyBody ?? false;
  }
}

/**
 * The HTTP status of an error on the data API (schema, objects; gRPC maps
 * from it): an HttpError's own, else core's one table with its data-API
 * exception (a corrupt store is the server's fault, 500; see
 * `httpStatusFor` in `@backup/core`). Anything else is a bug: 500.
 */
export function statusForError(error: unknown): number {
  return error instanceof HttpError ? error.status : httpStatusFor(error, 'data');
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);
/** A missing class or object: 404 with an empty body, as Weaviate answers it. */
export const missingResource = (message: string): HttpError => new HttpError(404, message, { emptyBody: true });
export const unprocessable = (message: string): HttpError => new HttpError(422, message);
