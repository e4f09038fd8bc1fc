// One factory per provider, each call a fresh, private place to store backups:
// a new directory, or a new prefix in the run's bucket or container.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupProvider } from '@backup/core';
import { AzureProvider } from '@backup/provider-azure';
import { FilesystemProvider } from '@backup/provider-filesystem';
import { GcsProvider } from '@backup/provider-gcs';
import { S3Provider } from '@backup/provider-s3';

/** What the e2e global setup hands the tests (see test/global-setup.ts). */
export interface ProviderCoordinates {
  readonly runPrefix: string;
  readonly s3: { readonly endpoint: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly region: string; readonly bucket: string };
  readonly azure: { readonly connectionString: string; readonly container: string };
  readonly gcs: { readonly endpoint: string; readonly projectId: string; readonly bucket: string };
}

export type ProviderName = 'filesystem' | 's3' | 'azure' | 'gcs';

function unique(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}

/** Factories for the four providers; filesystem roots go below `scratch`. */
export function providerFactories(emulators: ProviderCoordinates, scratch: string): Record<ProviderName, () => BackupProvider> {
  const prefix = (): string => `${emulators.runPrefix}/${unique('instance')}`;
  return {
    filesystem: () => {
      const path = join(scratch, unique('filesystem'));
      mkdirSync(path, { recursive: true });
      return new FilesystemProvider({ path });
    },
    s3: () =>
      new S3Provider({
        bucket: emulators.s3.bucket,
        path: prefix(),
        endpoint: emulators.s3.endpoint,
        useSSL: false,
        region: emulators.s3.region,
        credentials: { accessKeyId: emulators.s3.accessKeyId, secretAccessKey: emulators.s3.secretAccessKey },
      }),
    azure: () => new AzureProvider({ connectionString: emulators.azure.connectionString, container: emulators.azure.container, path: prefix() }),
    gcs: () =>
      new GcsProvider({
        bucket: emulators.gcs.bucket,
        path: prefix(),
        apiEndpoint: emulators.gcs.endpoint,
        useAuth: false,
        projectId: emulators.gcs.projectId,
      }),
  };
}

/** The environment that enables all four providers (as a server or the CLI reads it), each at a fresh place. */
export function providerEnv(emulators: ProviderCoordinates, filesystemRoot: string, path = `${emulators.runPrefix}/${unique('env')}`): NodeJS.ProcessEnv {
  return {
    ENABLE_MODULES: 'backup-filesystem,backup-s3,backup-azure,backup-gcs',
    BACKUP_FILESYSTEM_PATH: filesystemRoot,
    BACKUP_S3_BUCKET: emulators.s3.bucket,
    BACKUP_S3_PATH: path,
    BACKUP_S3_ENDPOINT: emulators.s3.endpoint,
    BACKUP_S3_USE_SSL: 'false',
    AWS_ACCESS_KEY_ID: emulators.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulators.s3.secretAccessKey,
    AWS_REGION: emulators.s3.region,
    BACKUP_AZURE_CONTAINER: emulators.azure.container,
    BACKUP_AZURE_PATH: path,
    AZURE_STORAGE_CONNECTION_STRING: emulators.azure.connectionString,
    BACKUP_GCS_BUCKET: emulators.gcs.bucket,
    BACKUP_GCS_PATH: path,
    BACKUP_GCS_USE_AUTH: 'false',
    STORAGE_EMULATOR_HOST: emulators.gcs.endpoint,
    GCP_PROJECT: emulators.gcs.projectId,
  };
}
