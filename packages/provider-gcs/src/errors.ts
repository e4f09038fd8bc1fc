import { BackupError, ErrorCode, errorCodeForHttpStatus, type ErrorContext } from '@backup/core/provider';

/** Where a failed call pointed, for messages a person can act on. */
export interface GcsErrorTarget {
  readonly bucket: string;
  /** `gs://bucket/root/key` (or the root, when there is no key). */
  readonly url: string;
}

// Connection failures, from Node's sockets, undici (fetch) or gaxios.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
// The SDK's own codes for a checksum that did not match (uploads and downloads).
const INTEGRITY_CODES = new Set(['CONTENT_DOWNLOAD_MISMATCH', 'FILE_NO_UPLOAD', 'FILE_NO_UPLOAD_DELETE', 'UPLOAD_MISMATCH', 'UPLOAD_MISMATCH_DELETE_FAIL']);
// A file that cannot be opened: for this provider, only ever the credentials file.
const LOCAL_FILE_CODES = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR']);
// Operations where a 404 can only mean the bucket: they do not need the object to exist.
const BUCKET_LEVEL = new Set<ErrorContext['operation']>(['initialize', 'put', 'write', 'list']);

/**
 * Maps an error of `@google-cloud/storage` (ApiError, GaxiosError, RequestError,
 * google-auth-library errors, socket errors) onto a core code, keeping it as
 * the cause. Retryable failures reach here only after the SDK's retries ran out.
 */
export function mapGcsError(error: unknown, context: ErrorContext, target: GcsErrorTarget): BackupError {
  if (BackupError.is(error)) return error;
  const what = context.key === undefined ? context.operation : `${context.operation} ${JSON.stringify(context.key)}`;
  const detail = error instanceof Error ? error.message : String(error);
  const make = (code: ErrorCode, message: string): BackupError => new BackupError(code, `gcs: ${message}`, { cause: error });

  const status = httpStatus(error);
  const statusCode = errorCodeForHttpStatus(status);
  if (statusCode === ErrorCode.NOT_FOUND) {
    if (BUCKET_LEVEL.has(context.operation) || /bucket does not exist|no such bucket/i.test(detail)) {
      return make(ErrorCode.NOT_FOUND, `bucket ${JSON.stringify(target.bucket)} does not exist (${what})`);
    }
    return make(ErrorCode.NOT_FOUND, `${what}: no such object ${target.url}`);
  }
  if (LOCAL_FILE_CODES.has(stringCode(error) ?? '')) {
    // This provider reads no local file but the credentials file.
    return make(ErrorCode.ACCESS_DENIED, `${what}: the credentials file cannot be read (GOOGLE_APPLICATION_CREDENTIALS or keyFilename): ${detail}`);
  }
  if (statusCode === ErrorCode.ACCESS_DENIED || isCredentialsError(detail)) {
    return make(
      ErrorCode.ACCESS_DENIED,
      `${what} on ${target.url} was denied: ${detail}. Check the credentials (GOOGLE_APPLICATION_CREDENTIALS or ` +
        `Application Default Credentials, or BACKUP_GCS_USE_AUTH=false for an emulator) and that they may create, ` +
        `read, list and delete objects in bucket ${JSON.stringify(target.bucket)}`,
    );
  }
  if (statusCode === ErrorCode.INVALID_ARGUMENT) return make(ErrorCode.INVALID_ARGUMENT, `${what} on ${target.url} was refused as invalid: ${detail}`);
  if (statusCode === ErrorCode.CONFLICT) return make(ErrorCode.CONFLICT, `${what} on ${target.url} conflicts: ${detail}`);
  if (INTEGRITY_CODES.has(stringCode(error) ?? '')) {
    // An upload whose stored CRC32C differs from the one sent was damaged in
    // transit (the SDK deleted the object): IO, worth another attempt. A
    // download that mismatches says the stored object may be damaged.
    if (context.operation === 'write' || context.operation === 'put') {
      return make(ErrorCode.IO, `${what}: the bytes stored differ from those sent (damaged in transit) on ${target.url}: ${detail}`);
    }
    return make(ErrorCode.CORRUPT, `${what}: checksum mismatch on ${target.url}: ${detail}`);
  }
  // The resumable uploader reports exhausted retries as a plain Error.
  const retriesRanOut = /^Retry (total time )?limit exceeded/.test(detail);
  if (statusCode === ErrorCode.UNAVAILABLE || retriesRanOut || isConnectionError(error)) {
    return make(ErrorCode.UNAVAILABLE, `${what} on ${target.url}: GCS is unavailable, retries ran out: ${detail}`);
  }
  return make(ErrorCode.IO, `${what} on ${target.url} failed: ${detail}`);
}

/** The HTTP status of an SDK error, wherever this kind of error keeps it. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  if (typeof candidate.code === 'number') return candidate.code;
  if (typeof candidate.status === 'number') return candidate.status;
  if (typeof candidate.response?.status === 'number') return candidate.response.status;
  if (typeof candidate.code === 'string' && /^\d{3}$/.test(candidate.code)) return Number(candidate.code);
  return undefined;
}

function stringCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionError(error: unknown): boolean {
  // fetch wraps socket errors: TypeError('fetch failed', { cause }), sometimes twice.
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = stringCode(current);
    if (code !== undefined && CONNECTION_CODES.has(code.toUpperCase())) return true;
  }
  return false;
}

// google-auth-library reports missing or unreadable credentials as plain Errors.
function isCredentialsError(message: string): boolean {
  return /Could not load the default credentials|Unable to read the credential file|invalid_grant|unauthorized_client/i.test(message);
}
