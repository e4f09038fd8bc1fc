import { BackupError, ErrorCode } from '@backup/core';

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

/** Weaviate's error body. */
export interface ErrorBody {
  error: { message: string }[];
}

export function errorBody(message: string): ErrorBody {
  return { error: [{ message }] };
}

/**
 * The HTTP status a store error maps to. Anything else (I/O, corruption, a
 * store-side ACCESS_DENIED on its own files) is the server's fault: 500.
 */
export function statusForError(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (!(error instanceof BackupError)) return 500;
  switch (error.code) {
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.ALREADY_EXISTS:
    case ErrorCode.INVALID_ARGUMENT:
    case ErrorCode.CONFLICT:
    case ErrorCode.NOT_SUPPORTED:
      return 422;
    case ErrorCode.UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);
/** A missing class or object: 404 with an empty body, as Weaviate answers it. */
export const missingResource = (message: string): HttpError => new HttpError(404, message, { emptyBody: true });
export const unprocessable = (message: string): HttpError => new HttpError(422, message);
