import { IdempotencyStrategy, Storage, type StorageOptions } from '@google-cloud/storage';
import { PassThroughClient } from 'google-auth-library';
import { nativeCrc32cGenerator } from './crc32c.ts';
import { normalizeEndpoint, type GcsConnectionOptions, type RetryOptions } from './options.ts';

/**
 * Retry settings of the clients this package builds: the SDK's backoff, but
 * writes are retried too. The SDK only retries uploads and deletes that carry
 * a generation precondition, because in general a replayed write could undo
 * someone else's; our objects are written once per key with the same bytes,
 * or deleted, so replaying is harmless.
 */
export const defaultRetryOptions: RetryOptions = Object.freeze({
  autoRetry: true,
  idempotencyStrategy: IdempotencyStrategy.RetryAlways,
});

/** Builds the `Storage` client for `options`. */
export function createStorage(options: GcsConnectionOptions): Storage {
  const useAuth = options.useAuth ?? true;
  // The SDK reads STORAGE_EMULATOR_HOST from process.env by itself; taking it
  // here too lets the normalisation and the base-URL fix below apply to it.
  const endpointSetting = options.apiEndpoint ?? process.env.STORAGE_EMULATOR_HOST;
  const apiEndpoint = endpointSetting === undefined || endpointSetting.trim() === '' ? undefined : normalizeEndpoint(endpointSetting.trim());
  const settings: StorageOptions = {
    retryOptions: { ...defaultRetryOptions, ...options.retryOptions },
    crc32cGenerator: nativeCrc32cGenerator,
    ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
    ...(apiEndpoint === undefined ? {} : { apiEndpoint }),
    // No lookup of Application Default Credentials at all: nothing is read
    // from disk or the metadata server, no header is sent.
    ...(useAuth ? {} : { authClient: new PassThroughClient() }),
    ...(useAuth && options.keyFilename !== undefined ? { keyFilename: options.keyFilename } : {}),
  };
  const storage = new Storage(settings);
  if (apiEndpoint !== undefined) {
    // With STORAGE_EMULATOR_HOST set, SDK v8 uses its value verbatim as the
    // JSON API base (no /storage/v1), while uploads use apiEndpoint +
    // /upload/storage/v1: no one value serves both against fake-gcs-server.
    storage.baseUrl = `${apiEndpoint}/storage/v1`;
  }
  return storage;
}
