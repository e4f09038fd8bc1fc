import type { S3Client } from '@aws-sdk/client-s3';
import { BackupError, ErrorCode, normalizeRootPath, progressTimeoutFromEnv } from '@backup/core/provider';

const MiB = 1024 * 1024;

/** S3's multipart limits (the same on AWS and MinIO). */
export const S3_LIMITS = Object.freeze({
  minPartSize: 5 * MiB,
  maxPartSize: 5 * 1024 * MiB,
  maxParts: 10_000,
  maxObjectSize: 5 * 1024 * 1024 * MiB,
  /** Largest source one CopyObject copies. */
  maxCopySize: 5 * 1024 * MiB,
  maxListPageSize: 1000,
});

/** The endpoint users get when they set none: AWS S3, addressed by region. */
export const DEFAULT_ENDPOINT = 's3.amazonaws.com';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface S3ProviderOptions {
  /** The bucket that holds all backups (`BACKUP_S3_BUCKET`). */
  readonly bucket: string;
  /** Root prefix inside the bucket (`BACKUP_S3_PATH`); '' (default) is the bucket's root. */
  readonly path?: string | undefined;
  /** `host[:port]` of the S3 API (`BACKUP_S3_ENDPOINT`), default `s3.amazonaws.com`. */
  readonly endpoint?: string | undefined;
  /** HTTPS (default) or plain HTTP (`BACKUP_S3_USE_SSL=false`). */
  readonly useSSL?: boolean | undefined;
  /** Signing region, default `us-east-1`. */
  readonly region?: string | undefined;
  /** Static credentials; without them the SDK's default credential chain applies (env, profile, IAM role, ...). */
  readonly credentials?: S3Credentials | undefined;
  /** Path-style URLs (`host/bucket/key`). Default: on for custom endpoints, off for AWS. */
  readonly forcePathStyle?: boolean | undefined;
  /** Attempts per request, retries included, for throttling, 5xx and network errors (default 5). */
  readonly maxAttempts?: number | undefined;
  /** The SDK's retry strategy (default `standard`; `adaptive` also rate-limits the client when throttled). */
  readonly retryMode?: 'standard' | 'adaptive' | undefined;
  /** Multipart part size in bytes for `write` (default 8 MiB; 5 MiB to 5 GiB). */
  readonly partSize?: number | undefined;
  /** Parts uploaded at once per `write` (default 4). A write buffers about `partSize × queueSize` bytes. */
  readonly queueSize?: number | undefined;
  /** Keys per ListObjectsV2 request (default and maximum 1000). */
  readonly listPageSize?: number | undefined;
  /**
   * Progress deadline of every request in ms (`BACKUP_S3_PROGRESS_TIMEOUT_MS`, default 30000; 0 = none):
   * a request without an answer or moving no bytes for this long is aborted and fails UNAVAILABLE.
   */
  readonly progressTimeoutMs?: number | undefined;
  /**
   * A client to use instead of building one from the settings above (which
   * then only serve messages). The provider does not destroy an injected client.
   */
  readonly client?: S3Client | undefined;
}

/** Options with every default applied and every value checked. */
export interface ResolvedS3Options {
  readonly bucket: string;
  readonly path: string;
  /** `host[:port]`, or undefined for AWS S3 (the SDK then resolves the regional endpoint). */
  readonly endpoint: string | undefined;
  readonly useSSL: boolean;
  readonly region: string;
  readonly credentials: S3Credentials | undefined;
  readonly forcePathStyle: boolean;
  readonly maxAttempts: number;
  readonly retryMode: 'standard' | 'adaptive';
  readonly partSize: number;
  readonly queueSize: number;
  readonly listPageSize: number;
}

function configError(message: string): BackupError {
  return new BackupError(ErrorCode.CONFIG, message);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Reads the settings of `backup-s3` from the environment:
 * `BACKUP_S3_BUCKET` (required), `BACKUP_S3_PATH`, `BACKUP_S3_ENDPOINT`,
 * `BACKUP_S3_USE_SSL`, `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`
 * (+ `AWS_SESSION_TOKEN`), `AWS_REGION` or else `AWS_DEFAULT_REGION`.
 * Rejects with CONFIG, naming the variable, when one is missing or malformed.
 */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3ProviderOptions {
  const bucket = nonEmpty(env.BACKUP_S3_BUCKET);
  if (bucket === undefined) {
    throw configError('BACKUP_S3_BUCKET is required by backup-s3: set it to the name of the bucket for backups');
  }
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw configError(`${missing} is missing: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use the default AWS credential chain`);
  }
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return {
    bucket,
    path: checkPath(env.BACKUP_S3_PATH ?? '', 'BACKUP_S3_PATH'),
    endpoint: parseEndpoint(nonEmpty(env.BACKUP_S3_ENDPOINT), 'BACKUP_S3_ENDPOINT'),
    useSSL: parseBoolean(nonEmpty(env.BACKUP_S3_USE_SSL), 'BACKUP_S3_USE_SSL', true),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined
        ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
        : undefined,
    progressTimeoutMs: progressTimeoutFromEnv(env, 'BACKUP_S3_PROGRESS_TIMEOUT_MS'),
  };
}

/** Applies defaults and checks every option; a bad one rejects with CONFIG. */
export function resolveS3Options(options: S3ProviderOptions): ResolvedS3Options {
  const bucket = nonEmpty(options.bucket);
  if (bucket === undefined) throw configError('the S3 bucket is required (BACKUP_S3_BUCKET)');
  const endpoint = parseEndpoint(options.endpoint, 'the S3 endpoint');
  const useSSL = options.useSSL ?? true;
  // AWS itself is reached through the SDK's regional, virtual-hosted endpoints;
  // anything else (MinIO, Ceph, ...) at exactly the host given, path-style.
  const custom = endpoint !== undefined && (endpoint !== DEFAULT_ENDPOINT || !useSSL) ? endpoint : undefined;
  const partSize = integerIn(options.partSize ?? 8 * MiB, S3_LIMITS.minPartSize, S3_LIMITS.maxPartSize, 'partSize');
  return {
    bucket,
    path: checkPath(options.path ?? '', 'the S3 path'),
    endpoint: custom,
    useSSL,
    region: nonEmpty(options.region) ?? 'us-east-1',
    credentials: options.credentials,
    forcePathStyle: options.forcePathStyle ?? custom !== undefined,
    maxAttempts: integerIn(options.maxAttempts ?? 5, 1, 100, 'maxAttempts'),
    retryMode: options.retryMode ?? 'standard',
    partSize,
    queueSize: integerIn(options.queueSize ?? 4, 1, 1000, 'queueSize'),
    listPageSize: integerIn(options.listPageSize ?? S3_LIMITS.maxListPageSize, 1, S3_LIMITS.maxListPageSize, 'listPageSize'),
  };
}

/** `host[:port]`, without scheme or path; the scheme comes from useSSL. */
function parseEndpoint(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('://')) {
    throw configError(`${what} must be host[:port] without a scheme, got ${JSON.stringify(value)}; use BACKUP_S3_USE_SSL=false for http`);
  }
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    throw configError(`${what} must be host[:port], got ${JSON.stringify(value)}`);
  }
  if (url.host === '' || url.pathname !== '/' || url.search !== '' || url.username !== '' || value.endsWith('/')) {
    throw configError(`${what} must be host[:port], got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

// The spellings Go's strconv.ParseBool accepts, as the original module did.
const TRUE = new Set(['1', 't', 'true']);
const FALSE = new Set(['0', 'f', 'false']);

function parseBoolean(value: string | undefined, variable: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (TRUE.has(value.toLowerCase())) return true;
  if (FALSE.has(value.toLowerCase())) return false;
  throw configError(`${variable} must be "true" or "false", got ${JSON.stringify(value)}`);
}

function checkPath(path: string, what: string): string {
  try {
    return normalizeRootPath(path);
  } catch (error) {
    throw new BackupError(ErrorCode.CONFIG, `${what} is not a valid prefix: ${(error as Error).message}`, { cause: error });
  }
}

function integerIn(value: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(`S3 option ${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
