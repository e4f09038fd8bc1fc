// Starts fake-gcs-server once per run (or uses BACKUP_TEST_GCS_ENDPOINT) and
// creates the buckets the tests use. If the emulator cannot start, the run fails.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createFakeGcsBucket, startFakeGcs } from '@backup/test-emulators/fake-gcs';

export interface GcsTestConnection {
  /** Base URL of the emulator, e.g. `http://127.0.0.1:4443`. */
  readonly endpoint: string;
  readonly projectId: string;
  /** The default bucket of the tests' providers. */
  readonly bucket: string;
  /** A second bucket, for per-call location overrides. */
  readonly alternateBucket: string;
  /** Prefix unique to this run, so runs against a shared emulator do not meet. */
  readonly runPrefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    gcs: GcsTestConnection;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startFakeGcs();
  try {
    const connection: GcsTestConnection = {
      endpoint: emulator.endpoint,
      projectId: emulator.projectId,
      bucket: 'backup-test',
      alternateBucket: 'backup-test-alternate',
      runPrefix: `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    };
    await createFakeGcsBucket(emulator, connection.bucket);
    await createFakeGcsBucket(emulator, connection.alternateBucket);
    project.provide('gcs', connection);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return () => emulator.stop();
}
