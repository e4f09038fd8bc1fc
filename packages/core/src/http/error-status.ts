import { BackupError, ErrorCode } from '../errors.ts';

/**
 * The one place BackupError codes become HTTP status codes, for every API
 * here. The reference (backup) API answers every refusal of a well-formed
 * request with 422 and only an unknown backup (or restore) with 404;
 * failures of the storage backend are 500, a backend that is down 503.
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

/**
 * Which API answers. `backup`: the `/v1/backups` API (and the cluster's
 * participant API), where CORRUPT, BASE_MISSING and ENCRYPTION_KEY describe
 * the backup the caller named: a refusal, 422. `data`: the server's
 * schema/objects API (REST and gRPC), where the only stored bytes are the
 * server's own store: a store that fails verification is the server's fault,
 * 500 (BASE_MISSING and ENCRYPTION_KEY only come from backups, and are 500
 * there too should one ever escape).
 */
export type HttpApi = 'backup' | 'data';

const DATA_API_EXCEPTIONS: Readonly<Partial<Record<ErrorCode, number>>> = {
  [ErrorCode.CORRUPT]: 500,
  [ErrorCode.BASE_MISSING]: 500,
  [ErrorCode.ENCRYPTION_KEY]: 500,
};

/** The HTTP status for `error` in `api`; anything that is not a BackupError is a bug: 500. */
export function httpStatusFor(error: unknown, api: HttpApi = 'backup'): number {
  if (!BackupError.is(error)) return 500;
  return (api === 'data' ? DATA_API_EXCEPTIONS[error.code] : undefined) ?? HTTP_STATUS[error.code] ?? 500;
}

/** Weaviate's error body: `{"error":[{"message":"..."}]}`. */
export interface ErrorBody {
  error: { message: string }[];
}

export function errorBody(message: string): ErrorBody {
  return { error: [{ message }] };
}
