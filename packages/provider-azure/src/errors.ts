import { BackupError, ErrorCode, errorCodeForHttpStatus, type ErrorContext } from '@backup/core/provider';

/** What the messages name: the container and account the failed call talked to. */
export interface AzureErrorScope {
  readonly container: string;
  /** The account's blob endpoint, without any SAS query. */
  readonly endpoint: string;
  /** True when the provider sends no credentials. */
  readonly anonymous: boolean;
}

const ACCESS_DENIED_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationSourceIPMismatch',
  'InsufficientAccountPermissions',
  'NoAuthenticationInformation',
  'AccountIsDisabled',
  'PublicAccessNotPermitted',
]);

const UNAVAILABLE_CODES = new Set([
  // Node and core-rest-pipeline network failures (no HTTP answer at all).
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'REQUEST_SEND_ERROR',
  // Azure's own "try again later".
  'ServerBusy',
  'OperationTimedOut',
  'InternalError',
]);

/** The parts of an SDK `RestError` (or a Node network error) that decide the code. */
interface AzureErrorShape {
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { readonly errorCode?: string };
}

/**
 * The Azure error code of `error`. HEAD requests (getProperties) have no body,
 * so their RestError carries no `code`: the service's code then sits only in
 * `details.errorCode` (from the `x-ms-error-code` header).
 */
export function azureErrorCode(error: unknown): string | undefined {
  const shape = error as AzureErrorShape | undefined;
  return shape?.code ?? shape?.details?.errorCode;
}

export function httpStatus(error: unknown): number | undefined {
  const status = (error as AzureErrorShape | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Maps an @azure/storage-blob error onto a core code, keeping it as the cause. */
export function mapAzureError(error: unknown, context: ErrorContext, scope: AzureErrorScope): BackupError {
  if (BackupError.is(error)) return error;
  const azureCode = azureErrorCode(error);
  const statusCode = errorCodeForHttpStatus(httpStatus(error));
  const what = context.key === undefined ? context.operation : `${context.operation} ${JSON.stringify(context.key)}`;
  const detail = `${error instanceof Error ? error.message.split('\n')[0] : String(error)}${azureCode ? ` (${azureCode})` : ''}`;
  const container = JSON.stringify(scope.container);
  const fail = (code: ErrorCode, message: string): BackupError => new BackupError(code, `azure: ${message}`, { cause: error });

  if (azureCode === 'ContainerNotFound') {
    return fail(ErrorCode.NOT_FOUND, `${what}: container ${container} does not exist at ${scope.endpoint}; create it first`);
  }
  if (azureCode === 'BlobNotFound' || statusCode === ErrorCode.NOT_FOUND) {
    // Azure answers anonymous requests for a private container with 404, to hide that it exists.
    const hint = scope.anonymous && azureCode !== 'BlobNotFound' ? ' (or the container is private: anonymous access sees nothing)' : '';
    return fail(ErrorCode.NOT_FOUND, `${what}: no such object in container ${container}${hint}`);
  }
  if (statusCode === ErrorCode.ACCESS_DENIED || (azureCode !== undefined && ACCESS_DENIED_CODES.has(azureCode))) {
    const hint = scope.anonymous
      ? 'anonymous access was refused: set AZURE_STORAGE_KEY or a connection string'
      : 'check the account key (AZURE_STORAGE_KEY) or connection string and its permissions';
    return fail(ErrorCode.ACCESS_DENIED, `${what}: access to container ${container} denied: ${hint} [${detail}]`);
  }
  if (statusCode === ErrorCode.UNAVAILABLE || (azureCode !== undefined && UNAVAILABLE_CODES.has(azureCode))) {
    return fail(ErrorCode.UNAVAILABLE, `${what}: ${scope.endpoint} is unreachable or busy, and retries ran out: ${detail}`);
  }
  if (azureCode === 'InvalidResourceName' || azureCode === 'OutOfRangeInput') {
    return fail(ErrorCode.INVALID_ARGUMENT, `${what}: Azure refused the name: ${detail}`);
  }
  return fail(ErrorCode.IO, `${what} failed: ${detail}`);
}
