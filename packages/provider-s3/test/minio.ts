// Helpers shared by the tests: providers and a raw client on this run's MinIO.
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { S3Provider, type S3ProviderOptions } from '../src/index.ts';
import type { S3TestConnection } from './global-setup.ts';

export function connection(): S3TestConnection {
  return inject('s3');
}

/** A prefix under this run's prefix that no other test uses. */
export function uniquePath(stem: string): string {
  return `${connection().runPrefix}/${stem}-${randomBytes(4).toString('hex')}`;
}

/** A provider on this run's MinIO, in the test bucket under a fresh prefix unless `overrides` say otherwise. */
export function minioProvider(overrides: Partial<S3ProviderOptions> = {}): S3Provider {
  const s3 = connection();
  return new S3Provider({
    bucket: s3.bucket,
    path: uniquePath('instance'),
    endpoint: s3.endpoint,
    useSSL: false,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...overrides,
  });
}

/** The environment `backup-s3` needs to reach this run's MinIO. */
export function minioEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const s3 = connection();
  return {
    BACKUP_S3_BUCKET: s3.bucket,
    BACKUP_S3_PATH: uniquePath('env'),
    BACKUP_S3_ENDPOINT: s3.endpoint,
    BACKUP_S3_USE_SSL: 'false',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    ...extra,
  };
}

/** A plain SDK client with the run's credentials, to look behind the provider's back. */
export function rawClient(): S3Client {
  const s3 = connection();
  return new S3Client({
    endpoint: `http://${s3.endpoint}`,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/**
 * Everything the bucket holds under `prefix`: objects as their keys, and
 * multipart uploads not yet completed or aborted as `multipart-upload:<key>`,
 * which `list` never shows.
 */
export async function rawEntries(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const entries: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    for (const object of page.Contents ?? []) entries.push(object.Key ?? '');
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken !== undefined);
  entries.push(...(await pendingUploads(client, bucket, prefix)).map((key) => `multipart-upload:${key}`));
  return entries.sort();
}

/**
 * Keys of the multipart uploads in progress under `prefix`. MinIO lacks
 * prefix filtering here (a `Prefix` matches only the exact key), so this
 * lists every upload in the bucket and filters itself.
 */
export async function pendingUploads(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
    for (const upload of page.Uploads ?? []) if (upload.Key?.startsWith(prefix)) keys.push(upload.Key);
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (KeyMarker !== undefined);
  return keys;
}
