// fake-gcs-server (github.com/fsouza/fake-gcs-server), the GCS emulator the
// provider tests and benchmarks run against. Built by scripts/emulators/install.sh.
import { join } from 'node:path';
import { emulatorBinary } from './binaries.ts';
import { freePort } from './free-ports.ts';
import { launch, scratchDir, type RunningEmulator } from './launch.ts';

/** A running fake-gcs-server: `endpoint` is what `apiEndpoint` / `STORAGE_EMULATOR_HOST` should be. */
export interface RunningFakeGcs extends RunningEmulator {
  /** Project the buckets are created in (fake-gcs-server accepts any). */
  readonly projectId: string;
  /**
   * Where the emulator keeps its objects, or `undefined` for an external
   * emulator (`BACKUP_TEST_GCS_ENDPOINT`) whose files are out of reach.
   */
  readonly storageRoot: string | undefined;
}

const PROJECT_ID = 'backup-test';

/**
 * Starts fake-gcs-server on a free port of 127.0.0.1, storing objects on tmpfs
 * (its filesystem backend: the memory backend would hold every test object in
 * the emulator's heap). Fails, never skips, if it cannot start.
 *
 * With `BACKUP_TEST_GCS_ENDPOINT` set (e.g. the fake-gcs-server of
 * docker-compose.test.yml), that emulator is used instead and `stop` does nothing.
 */
export async function startFakeGcs(): Promise<RunningFakeGcs> {
  const external = process.env.BACKUP_TEST_GCS_ENDPOINT;
  if (external !== undefined && external.trim() !== '') {
    const endpoint = external.trim().replace(/\/+$/, '');
    if (!(await jsonApiAnswers(endpoint))) {
      throw new Error(`BACKUP_TEST_GCS_ENDPOINT=${endpoint} does not answer GET /storage/v1/b; is fake-gcs-server running?`);
    }
    return { name: 'fake-gcs-server', endpoint, logFile: '(external emulator)', projectId: PROJECT_ID, storageRoot: undefined, stop: async () => {} };
  }

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const endpoint = `http://${host}`;
  const dataDir = scratchDir('fake-gcs');
  const storageRoot = join(dataDir, 'storage');
  const emulator = await launch({
    name: 'fake-gcs-server',
    command: emulatorBinary('fake-gcs-server'),
    args: [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      '-backend',
      'filesystem',
      '-filesystem-root',
      storageRoot,
      // Self links and resumable-session URIs must point back at this port.
      '-public-host',
      host,
      '-external-url',
      endpoint,
      '-log-level',
      'error',
    ],
    endpoint,
    isReady: () => jsonApiAnswers(endpoint),
    dataDir,
  });
  return { ...emulator, projectId: PROJECT_ID, storageRoot };
}

/**
 * Creates `name` through the JSON API (POST /storage/v1/b). A bucket that
 * already exists (an external emulator reused across runs) is fine.
 */
export async function createFakeGcsBucket(emulator: Pick<RunningFakeGcs, 'endpoint' | 'projectId'>, name: string): Promise<void> {
  const url = `${emulator.endpoint}/storage/v1/b?project=${encodeURIComponent(emulator.projectId)}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 409) {
    throw new Error(`fake-gcs-server: creating bucket ${name} failed with ${response.status}: ${text}`);
  }
}

async function jsonApiAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/storage/v1/b`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
