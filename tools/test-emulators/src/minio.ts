import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { emulatorBinary } from './binaries.ts';
import { freePorts } from './free-ports.ts';
import { launch, scratchDir, type RunningEmulator } from './launch.ts';

/** Credentials of the MinIO the tests start (test-only, never used outside 127.0.0.1). */
const ROOT_USER = 'backup-tests';
const ROOT_PASSWORD = 'backup-tests-secret';
/** docker-compose.test.yml's MinIO uses MinIO's well-known defaults. */
const DOCKER_USER = 'minioadmin';
const DOCKER_PASSWORD = 'minioadmin';

export interface RunningMinio extends RunningEmulator {
  /** Root user: the access key id for the S3 API. */
  readonly accessKeyId: string;
  /** Root password: the secret access key for the S3 API. */
  readonly secretAccessKey: string;
  /** MinIO accepts any region; this is the one it reports. */
  readonly region: string;
}

/**
 * Starts the pinned MinIO build (scripts/emulators/install.sh) on a free port
 * of 127.0.0.1 with its data on tmpfs, and waits until it is live. With
 * `BACKUP_TEST_S3_ENDPOINT` set (a MinIO someone else runs, e.g. from
 * docker-compose.test.yml) it only checks that one is live and returns it;
 * `stop()` then leaves it alone. Credentials for an external MinIO come from
 * `BACKUP_TEST_S3_ACCESS_KEY_ID`/`BACKUP_TEST_S3_SECRET_ACCESS_KEY`, else
 * minioadmin/minioadmin. Throws (so tests fail, never skip) when MinIO is not
 * built or cannot be reached.
 */
export async function startMinio(): Promise<RunningMinio> {
  const external = process.env.BACKUP_TEST_S3_ENDPOINT;
  if (external !== undefined && external !== '') return await useExternal(external.replace(/\/+$/, ''));

  const binary = emulatorBinary('minio');
  const [port, consolePort] = (await freePorts(2)) as [number, number];
  const data = scratchDir('minio');
  const endpoint = `http://127.0.0.1:${port}`;
  const emulator = await launch({
    name: 'minio',
    command: binary,
    args: ['server', data, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    env: {
      MINIO_ROOT_USER: ROOT_USER,
      MINIO_ROOT_PASSWORD: ROOT_PASSWORD,
      // No web console, no update checks: nothing but the S3 API, and no traffic off this machine.
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    },
    endpoint,
    isReady: () => isLive(endpoint),
    dataDir: data,
  });
  return { ...emulator, accessKeyId: ROOT_USER, secretAccessKey: ROOT_PASSWORD, region: 'us-east-1' };
}

async function useExternal(endpoint: string): Promise<RunningMinio> {
  if (!(await isLive(endpoint).catch(() => false))) {
    throw new Error(`BACKUP_TEST_S3_ENDPOINT=${endpoint} is not a live MinIO; start one there or unset the variable`);
  }
  return {
    name: 'minio (external)',
    endpoint,
    logFile: '',
    accessKeyId: process.env.BACKUP_TEST_S3_ACCESS_KEY_ID ?? DOCKER_USER,
    secretAccessKey: process.env.BACKUP_TEST_S3_SECRET_ACCESS_KEY ?? DOCKER_PASSWORD,
    region: process.env.BACKUP_TEST_S3_REGION ?? 'us-east-1',
    stop: async () => {},
  };
}

/** MinIO's liveness probe: 200 once the S3 API serves requests. */
async function isLive(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.ok;
}

/** Creates the buckets on `minio`; ones that exist already (an external MinIO that outlives runs) are fine. */
export async function createMinioBuckets(minio: RunningMinio, ...buckets: string[]): Promise<void> {
  const client = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
  });
  try {
    for (const Bucket of buckets) {
      await client.send(new CreateBucketCommand({ Bucket })).catch((error: unknown) => {
        if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
      });
    }
  } finally {
    client.destroy();
  }
}
