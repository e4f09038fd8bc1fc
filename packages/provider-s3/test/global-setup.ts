// Starts MinIO once per run (or uses BACKUP_TEST_S3_ENDPOINT), creates the
// test buckets and hands the connection to the tests through `inject('s3')`.
// If MinIO cannot start, this throws and the run fails: nothing is skipped.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createMinioBuckets, startMinio } from '@backup/test-emulators/minio';

/** How tests reach the MinIO of this run. */
export interface S3TestConnection {
  /** `host:port`, as BACKUP_S3_ENDPOINT takes it (plain http). */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The bucket every provider instance of the run uses, each under its own prefix. */
  readonly bucket: string;
  /** A second bucket, for per-call location overrides. */
  readonly alternateBucket: string;
  /** A prefix unique to this run, so runs against a shared MinIO never meet. */
  readonly runPrefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestConnection;
  }
}

const BUCKET = 'backup-tests';
const ALTERNATE_BUCKET = 'backup-tests-alternate';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const minio = await startMinio();
  try {
    const url = new URL(minio.endpoint);
    const connection: S3TestConnection = {
      endpoint: url.host,
      accessKeyId: minio.accessKeyId,
      secretAccessKey: minio.secretAccessKey,
      region: minio.region,
      bucket: BUCKET,
      alternateBucket: ALTERNATE_BUCKET,
      runPrefix: `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    };
    await createMinioBuckets(minio, BUCKET, ALTERNATE_BUCKET);
    project.provide('s3', connection);
  } catch (error) {
    await minio.stop();
    throw error;
  }
  return async () => {
    await minio.stop();
  };
}
