import type { BlobServiceClient, StorageRetryOptions } from '@azure/storage-blob';
import { BackupError, ErrorCode, normalizeRootPath, progressTimeoutFromEnv } from '@backup/core/provider';

const MiB = 1024 * 1024;

/** Azure's limits for block blobs. */
export const AZURE_MAX_BLOCKS = 50_000;
export const AZURE_MAX_BLOCK_SIZE = 4000 * MiB;
/** The most blobs one List Blobs request returns. */
export const AZURE_MAX_LIST_PAGE_SIZE = 5000;

export const DEFAULT_BLOCK_SIZE = 8 * MiB;
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

/** How the provider reaches the storage account: exactly one of these. */
export type AzureConnection =
  | {
      /** A full connection string; it names the endpoint and carries a key or SAS. */
      readonly connectionString: string;
    }
  | {
      readonly accountName: string;
      /** Shared key. Empty or absent means anonymous access (public containers). */
      readonly accountKey?: string | undefined;
      /**
       * The account's blob endpoint, for hosts other than
       * `https://<account>.blob.core.windows.net`, e.g. Azurite's
       * `http://127.0.0.1:10000/devstoreaccount1`.
       */
      readonly blobEndpoint?: string | undefined;
    }
  | {
      /** A client you built yourself (managed identity, custom pipeline, ...). */
      readonly serviceClient: BlobServiceClient;
    };

export interface AzureStorageOptions {
  /** Container that holds every backup (`BACKUP_AZURE_CONTAINER`). It must exist. */
  readonly container: string;
  /** Root path inside the container (`BACKUP_AZURE_PATH`); '' is the container's root. */
  readonly path?: string | undefined;
  /** Bytes per staged block of a streaming write (default 8 MiB, at most 4000 MiB). */
  readonly blockSize?: number | undefined;
  /** Blocks one write buffers and uploads at once (default 4). Memory per write ≈ blockSize × this. */
  readonly uploadConcurrency?: number | undefined;
  /** Blobs per List Blobs request (default and maximum 5000). */
  readonly listPageSize?: number | undefined;
  /** The SDK's retry policy (tries, delays, per-try timeout); ignored with `serviceClient`. */
  readonly retry?: StorageRetryOptions | undefined;
  /**
   * Progress deadline of every request in ms (`BACKUP_AZURE_PROGRESS_TIMEOUT_MS`, default 30000; 0 = none):
   * a request without an answer or moving no bytes for this long is aborted and fails UNAVAILABLE.
   */
  readonly progressTimeoutMs?: number | undefined;
}

/** Everything `AzureProvider` accepts. */
export type AzureProviderOptions = AzureConnection & AzureStorageOptions;

/**
 * Reads the provider's environment variables, as the seed documents them:
 * `BACKUP_AZURE_CONTAINER` (required), `BACKUP_AZURE_PATH`,
 * `AZURE_STORAGE_CONNECTION_STRING` (wins when set), else
 * `AZURE_STORAGE_ACCOUNT` (required then) with `AZURE_STORAGE_KEY`
 * (empty = anonymous), plus `AZURE_STORAGE_BLOB_ENDPOINT` for non-default hosts.
 * A missing required variable throws CONFIG naming it.
 */
export function azureOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AzureProviderOptions {
  const container = nonEmpty(env.BACKUP_AZURE_CONTAINER);
  if (container === undefined) {
    throw new BackupError(ErrorCode.CONFIG, 'BACKUP_AZURE_CONTAINER is required by backup-azure: set it to the name of the container for backups');
  }
  const storage = {
    container: checkContainer(container, 'BACKUP_AZURE_CONTAINER', ErrorCode.CONFIG),
    path: checkPath(env.BACKUP_AZURE_PATH),
    progressTimeoutMs: progressTimeoutFromEnv(env, 'BACKUP_AZURE_PROGRESS_TIMEOUT_MS'),
  };

  const connectionString = nonEmpty(env.AZURE_STORAGE_CONNECTION_STRING);
  if (connectionString !== undefined) return { ...storage, connectionString };

  const accountName = nonEmpty(env.AZURE_STORAGE_ACCOUNT);
  if (accountName === undefined) {
    throw new BackupError(
      ErrorCode.CONFIG,
      'AZURE_STORAGE_ACCOUNT is required by backup-azure when AZURE_STORAGE_CONNECTION_STRING is not set: set one of them',
    );
  }
  return {
    ...storage,
    accountName,
    accountKey: env.AZURE_STORAGE_KEY ?? '',
    blobEndpoint: nonEmpty(env.AZURE_STORAGE_BLOB_ENDPOINT),
  };
}

// Azure's rule: 3-63 of [a-z0-9-], starting and ending with a letter or digit, no "--".
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Returns `name` if Azure would accept it as a container name, else throws `code`. */
export function checkContainer(name: string, what: string, code: ErrorCode = ErrorCode.INVALID_ARGUMENT): string {
  if (!CONTAINER_NAME.test(name)) {
    throw new BackupError(code, `${what} ${JSON.stringify(name)} is not a valid Azure container name: 3-63 lowercase letters, digits and single hyphens`);
  }
  return name;
}

function checkPath(path: string | undefined): string {
  try {
    return normalizeRootPath(path);
  } catch (error) {
    throw new BackupError(ErrorCode.CONFIG, `BACKUP_AZURE_PATH is invalid: ${(error as Error).message}`, { cause: error });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Validates a positive integer option no larger than `max`. */
export function checkCount(value: number | undefined, fallback: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `${what} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}
