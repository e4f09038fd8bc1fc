// Starts MinIO once per run (or uses BACKUP_TEST_S3_ENDPOINT), creates the
// test bucket and hands the connection to the tests through `inject('minio')`.
// If MinIO cannot start, this throws and the run fails: nothing is skipped.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createMinioBuckets, startMinio } from '@backup/test-emulators/minio';

export interface MinioConnection {
  /** `host:port`, as BACKUP_S3_ENDPOINT takes it (plain http). */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly bucket: string;
  /** A prefix unique to this run. */
  readonly runPrefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    minio: MinioConnection;
  }
}

const BUCKET = 'backup-cli-tests';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const minio = await startMinio();
  try {
    await createMinioBuckets(minio, BUCKET);
    project.provide('minio', {
      endpoint: new URL(minio.endpoint).host,
      accessKeyId: minio.accessKeyId,
      secretAccessKey: minio.secretAccessKey,
      region: minio.region,
      bucket: BUCKET,
      runPrefix: `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    });
  } catch (error) {
    await minio.stop();
    throw error;
  }
  return () => minio.stop();
}
