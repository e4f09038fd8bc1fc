// Starts MinIO, Azurite and fake-gcs-server once per run (each honours its
// BACKUP_TEST_*_ENDPOINT variable for an emulator someone else runs), creates
// the buckets and the container, and hands the coordinates to the tests
// through `inject('emulators')`. If one cannot start, this throws and the run
// fails: nothing is skipped.
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '@backup/test-emulators/azurite';
import { createFakeGcsBucket, startFakeGcs } from '@backup/test-emulators/fake-gcs';
import { createMinioBuckets, startMinio } from '@backup/test-emulators/minio';

export interface EmulatorCoordinates {
  /** A prefix unique to this run, so runs against shared emulators never meet. */
  readonly runPrefix: string;
  readonly s3: {
    /** `host:port`, as BACKUP_S3_ENDPOINT takes it (plain http). */
    readonly endpoint: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly region: string;
    readonly bucket: string;
  };
  readonly azure: { readonly connectionString: string; readonly container: string };
  readonly gcs: { readonly endpoint: string; readonly projectId: string; readonly bucket: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: EmulatorCoordinates;
  }
}

const BUCKET = 'backup-e2e';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    // Side by side: each takes a second or two to answer.
    const started = await Promise.allSettled([startMinio(), startAzurite(), startFakeGcs()]);
    for (const result of started) if (result.status === 'fulfilled') stops.push(() => result.value.stop());
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [minio, azurite, gcs] = started.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startMinio>>,
      Awaited<ReturnType<typeof startAzurite>>,
      Awaited<ReturnType<typeof startFakeGcs>>,
    ];

    await createMinioBuckets(minio, BUCKET);
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(BUCKET).createIfNotExists();
    await createFakeGcsBucket(gcs, BUCKET);

    project.provide('emulators', {
      runPrefix: `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      s3: {
        endpoint: new URL(minio.endpoint).host,
        accessKeyId: minio.accessKeyId,
        secretAccessKey: minio.secretAccessKey,
        region: minio.region,
        bucket: BUCKET,
      },
      azure: { connectionString: azurite.connectionString, container: BUCKET },
      gcs: { endpoint: gcs.endpoint, projectId: gcs.projectId, bucket: BUCKET },
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
