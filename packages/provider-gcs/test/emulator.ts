// Helpers shared by the tests: providers and a raw client on this run's fake-gcs-server.
import { randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { inject } from 'vitest';
import { GcsProvider, type GcsProviderOptions } from '../src/index.ts';
import type { GcsTestConnection } from './global-setup.ts';

export function connection(): GcsTestConnection {
  return inject('gcs');
}

/** A prefix under this run's prefix that no other test uses. */
export function uniquePath(stem: string): string {
  return `${connection().runPrefix}/${stem}-${randomBytes(4).toString('hex')}`;
}

/** A provider on the emulator, in the test bucket under a fresh prefix unless `overrides` say otherwise. */
export function emulatorProvider(overrides: Partial<GcsProviderOptions> = {}): GcsProvider {
  const gcs = connection();
  return new GcsProvider({
    bucket: gcs.bucket,
    path: uniquePath('instance'),
    apiEndpoint: gcs.endpoint,
    useAuth: false,
    projectId: gcs.projectId,
    ...overrides,
  });
}

/** The environment `backup-gcs` needs to reach the emulator. */
export function emulatorEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const gcs = connection();
  return {
    BACKUP_GCS_BUCKET: gcs.bucket,
    BACKUP_GCS_PATH: uniquePath('env'),
    BACKUP_GCS_USE_AUTH: 'false',
    STORAGE_EMULATOR_HOST: gcs.endpoint,
    GCP_PROJECT: gcs.projectId,
    ...extra,
  };
}

/** A plain SDK client, to look behind the provider's back. */
export function rawStorage(): Storage {
  const gcs = connection();
  const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: gcs.projectId });
  storage.baseUrl = `${gcs.endpoint}/storage/v1`;
  return storage;
}

/** Names of every object the bucket holds under `root`, relative to it, sorted. */
export async function rawObjects(bucket: string, root: string): Promise<string[]> {
  const prefix = root === '' ? '' : `${root}/`;
  const [files] = await rawStorage().bucket(bucket).getFiles({ prefix });
  return files.map((file) => file.name.slice(prefix.length)).sort();
}
