import { BackupError, ErrorCode } from '../errors.ts';

/**
 * The one place BackupError codes become HTTP status codes. The reference API
 * answers every refusal of a well-formed request with 422 and only an unknown
 * backup (or restore) with 404; failures of the storage backend are 500, a
 * backend that is down 503.
 */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.INVALID_ARGUMENT]: 422,
  [ErrorCode.CONFLICT]: 422,
  [ErrorCode.ALREADY_EXISTS]: 422,
  [ErrorCode.NOT_SUPPORTED]: 422,
  [ErrorCode.CORRUPT]: 422,
  [ErrorCode.BASE_MISSING]: 422,
  [ErrorCode.ENCRYPTION_KEY]: 422,
  [ErrorCode.ACCESS_DENIED]: 500,
  [ErrorCode.CONFIG]: 500,
  [ErrorCode.IO]: 500,
  [ErrorCode.ABORTED]: 500,
  [ErrorCode.UNAVAILABLE]: 503,
};

export function httpStatusFor(error: unknown): number {
  return BackupError.is(error) ? (HTTP_STATUS[error.code] ?? 500) : 500;
}

/** The API's error body: `{"error":[{"message":"..."}]}`. */
export function errorBody(message: string): { error: { message: string }[] } {
  return { error: [{ message }] };
}
