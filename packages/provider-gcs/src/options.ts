import type { Storage, StorageOptions } from '@google-cloud/storage';
import { BackupError, ErrorCode, normalizeRootPath, progressTimeoutFromEnv } from '@backup/core/provider';

/** The SDK's retry settings (its index does not export the type). */
export type RetryOptions = NonNullable<StorageOptions['retryOptions']>;

/** GCS accepts resumable chunks in multiples of 256 KiB. */
export const CHUNK_GRANULARITY = 256 * 1024;
/** Default resumable chunk: what Google recommends as the smallest efficient chunk. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/** Default objects per `list` request; the JSON API's maximum. */
export const DEFAULT_LIST_PAGE_SIZE = 1000;

/** How to reach GCS when the provider builds its own `Storage` client. */
export interface GcsConnectionOptions {
  /**
   * Project for requests that need one; objects in an existing bucket do not.
   * From the environment: `GCP_PROJECT`, then `GOOGLE_CLOUD_PROJECT`.
   */
  readonly projectId?: string | undefined;
  /**
   * Send credentials (default true). With `false` no credentials are looked
   * up or sent at all, as for a local emulator or a public bucket.
   */
  readonly useAuth?: boolean | undefined;
  /**
   * A service-account or external-account JSON file. Without it, Application
   * Default Credentials apply (gcloud login, attached service account, ...).
   */
  readonly keyFilename?: string | undefined;
  /**
   * Another API endpoint, e.g. an emulator's `http://127.0.0.1:4443`. From the
   * environment: `STORAGE_EMULATOR_HOST`. Custom endpoints get no credentials
   * (the SDK's rule, and the Go SDK's for emulators).
   */
  readonly apiEndpoint?: string | undefined;
  /** Overrides of the SDK's retry settings (see `defaultRetryOptions`). */
  readonly retryOptions?: Partial<RetryOptions> | undefined;
}

export interface GcsProviderOptions extends GcsConnectionOptions {
  /** Bucket that holds the backups (`BACKUP_GCS_BUCKET`). */
  readonly bucket: string;
  /** Root prefix inside the bucket (`BACKUP_GCS_PATH`); '' or absent is the bucket's root. */
  readonly path?: string | undefined;
  /**
   * Progress deadline of every request in ms (`BACKUP_GCS_PROGRESS_TIMEOUT_MS`, default 30000; 0 = none):
   * a request without an answer or moving no bytes for this long is aborted and fails UNAVAILABLE.
   */
  readonly progressTimeoutMs?: number | undefined;
  /**
   * A ready `Storage` client to use instead of building one; the connection
   * options above are then ignored, and its retry settings apply as they are.
   */
  readonly storage?: Storage | undefined;
  /** Objects per `list` request (default 1000, the API's maximum). */
  readonly listPageSize?: number | undefined;
  /**
   * Bytes per request of a resumable upload (default 8 MiB, a multiple of
   * 256 KiB). Each chunk is buffered, so a failed chunk is retried without
   * restarting the upload. `0` streams the whole object in one request: no
   * buffer, but a broken connection fails the write.
   */
  readonly chunkSize?: number | undefined;
}

/**
 * Reads the provider's settings from environment variables, as the
 * documentation of `backup-gcs` names them. A missing `BACKUP_GCS_BUCKET` or an
 * unreadable value rejects with CONFIG, naming the variable.
 */
export function gcsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GcsProviderOptions {
  const bucket = nonEmpty(env.BACKUP_GCS_BUCKET);
  if (bucket === undefined) {
    throw new BackupError(ErrorCode.CONFIG, 'BACKUP_GCS_BUCKET is required by backup-gcs: set it to the name of the bucket for backups');
  }
  const useAuth = parseBoolean(env.BACKUP_GCS_USE_AUTH, 'BACKUP_GCS_USE_AUTH', true);
  const emulatorHost = nonEmpty(env.STORAGE_EMULATOR_HOST);
  const credentialsFile = nonEmpty(env.GOOGLE_APPLICATION_CREDENTIALS);
  return {
    bucket,
    path: configPath(env.BACKUP_GCS_PATH),
    useAuth,
    // Application Default Credentials read GOOGLE_APPLICATION_CREDENTIALS from
    // process.env by themselves. Only a file named by another environment
    // must be passed on (as keyFilename, which Google's library calls deprecated).
    keyFilename:
      useAuth && credentialsFile !== undefined && credentialsFile !== nonEmpty(process.env.GOOGLE_APPLICATION_CREDENTIALS) ? credentialsFile : undefined,
    projectId: nonEmpty(env.GCP_PROJECT) ?? nonEmpty(env.GOOGLE_CLOUD_PROJECT),
    apiEndpoint: emulatorHost === undefined ? undefined : normalizeEndpoint(emulatorHost),
    progressTimeoutMs: progressTimeoutFromEnv(env, 'BACKUP_GCS_PROGRESS_TIMEOUT_MS'),
  };
}

/**
 * An endpoint as the SDK wants it: a scheme (http for a bare `host:port`, as
 * emulators use), no trailing slash and no `/storage/v1` suffix, which some
 * emulator instructions include in `STORAGE_EMULATOR_HOST`.
 */
export function normalizeEndpoint(endpoint: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  return withScheme.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
}

/** Validates the resumable chunk size: 0, or a positive multiple of 256 KiB. */
export function checkChunkSize(chunkSize: number): number {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 0 || chunkSize % CHUNK_GRANULARITY !== 0) {
    throw new BackupError(
      ErrorCode.INVALID_ARGUMENT,
      `gcs: chunkSize must be 0 or a positive multiple of ${CHUNK_GRANULARITY} bytes, got ${String(chunkSize)}`,
    );
  }
  return chunkSize;
}

export function checkListPageSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 1 || size > DEFAULT_LIST_PAGE_SIZE) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `gcs: listPageSize must be between 1 and 1000, got ${String(size)}`);
  }
  return size;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function parseBoolean(value: string | undefined, name: string, fallback: boolean): boolean {
  const text = nonEmpty(value)?.toLowerCase();
  if (text === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new BackupError(ErrorCode.CONFIG, `${name} must be true or false, got ${JSON.stringify(value)}`);
}

function configPath(value: string | undefined): string {
  try {
    return normalizeRootPath(value);
  } catch (error) {
    throw new BackupError(ErrorCode.CONFIG, `BACKUP_GCS_PATH is not a valid path: ${(error as Error).message}`, { cause: error });
  }
}
