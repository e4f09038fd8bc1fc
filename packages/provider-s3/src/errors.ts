import { BackupError, ErrorCode, errorCodeForHttpStatus, type ErrorContext } from '@backup/core/provider';

/** Where a failed call went, so messages say which bucket and endpoint to check. */
export interface S3ErrorScope {
  readonly bucket: string;
  /** `http(s)://host[:port]`, or `AWS S3 (<region>)`. */
  readonly endpoint: string;
}

/** What the SDK's errors carry: S3ServiceException (`name`, `$metadata`), or a Node system error (`code`). */
interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly errors?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const BAD_KEY_ID_NAMES = new Set(['InvalidAccessKeyId']);
const BAD_SECRET_NAMES = new Set(['SignatureDoesNotMatch']);
const DENIED_NAMES = new Set([
  'AccessDenied',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'InvalidSecurity',
]);
const UNAVAILABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'XMinioServerNotInitialized',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
// TLS failures: https to a plain-http endpoint, or a certificate Node does not trust.
const TLS_CODES = /^(EPROTO|ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/;
const INVALID_NAMES = new Set(['InvalidBucketName', 'KeyTooLongError', 'InvalidArgument', 'EntityTooLarge', 'EntityTooSmall']);

/**
 * Maps an SDK error onto a core code, keeping it as the cause, with a message
 * that says what to check. Throttling, 5xx and network errors arrive here only
 * after the SDK's retry strategy gave up, so they become UNAVAILABLE.
 */
export function mapS3Error(error: unknown, context: ErrorContext, scope: S3ErrorScope): BackupError {
  if (BackupError.is(error)) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : '';
  const status = shape.$metadata?.httpStatusCode;
  const statusCode = errorCodeForHttpStatus(status);
  const attempts = shape.$metadata?.attempts;
  const systemCode = systemCodeOf(shape);
  const detail = typeof shape.message === 'string' && shape.message !== '' ? shape.message : name || String(error);
  const bucket = context.location?.bucket ?? scope.bucket;
  const what = `${context.operation}${context.key === undefined ? '' : ` ${JSON.stringify(context.key)}`} in s3://${bucket}`;

  const fail = (code: ErrorCode, reason: string): BackupError => new BackupError(code, `s3: ${what} failed: ${reason}`, { cause: error });

  if (name === 'NoSuchBucket') {
    return fail(ErrorCode.NOT_FOUND, `bucket "${bucket}" does not exist at ${scope.endpoint}; create it, or fix BACKUP_S3_BUCKET`);
  }
  if (NOT_FOUND_NAMES.has(name) || statusCode === ErrorCode.NOT_FOUND) return fail(ErrorCode.NOT_FOUND, 'no such object');
  if (BAD_KEY_ID_NAMES.has(name)) {
    return fail(ErrorCode.ACCESS_DENIED, `${scope.endpoint} does not know the access key id; check AWS_ACCESS_KEY_ID (${detail})`);
  }
  if (BAD_SECRET_NAMES.has(name)) {
    return fail(ErrorCode.ACCESS_DENIED, `the request signature was refused: check AWS_SECRET_ACCESS_KEY and the clock (${detail})`);
  }
  if (DENIED_NAMES.has(name) || statusCode === ErrorCode.ACCESS_DENIED) {
    return fail(ErrorCode.ACCESS_DENIED, `access denied: the credentials lack permission for this on bucket "${bucket}" (${detail})`);
  }
  if (systemCode !== undefined && UNREACHABLE_CODES.has(systemCode)) {
    return fail(ErrorCode.UNAVAILABLE, `cannot reach ${scope.endpoint} (${systemCode}${retried(attempts)}); check BACKUP_S3_ENDPOINT and BACKUP_S3_USE_SSL`);
  }
  if (systemCode !== undefined && TLS_CODES.test(systemCode)) {
    return fail(
      ErrorCode.UNAVAILABLE,
      `no TLS connection to ${scope.endpoint} (${systemCode}); check BACKUP_S3_USE_SSL (false for plain http) and the server's certificate`,
    );
  }
  if (UNAVAILABLE_NAMES.has(name) || statusCode === ErrorCode.UNAVAILABLE || (status !== undefined && status >= 500)) {
    return fail(ErrorCode.UNAVAILABLE, `${scope.endpoint} is unavailable or throttling${retried(attempts)}: ${detail}`);
  }
  if (INVALID_NAMES.has(name)) return fail(ErrorCode.INVALID_ARGUMENT, detail);
  return fail(ErrorCode.IO, detail);
}

/** True for S3's answer to a range that starts at or past the end of the object. */
export function isInvalidRange(error: unknown): boolean {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  return shape.name === 'InvalidRange' || shape.$metadata?.httpStatusCode === 416;
}

// Node reports a failed connect to every address of a host as an AggregateError.
function systemCodeOf(shape: SdkErrorShape): string | undefined {
  if (typeof shape.code === 'string') return shape.code;
  if (Array.isArray(shape.errors)) {
    const first = shape.errors.find((inner: unknown) => typeof (inner as SdkErrorShape | undefined)?.code === 'string');
    return (first as SdkErrorShape | undefined)?.code as string | undefined;
  }
  return undefined;
}

function retried(attempts: number | undefined): string {
  return attempts !== undefined && attempts > 1 ? `, after ${attempts} attempts` : '';
}
