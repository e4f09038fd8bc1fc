import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './free-ports.ts';
import { answers, launch, scratchDir, type RunningEmulator } from './launch.ts';

/** Azurite's one account, and its published key (not a secret: it is in every Azure SDK's docs). */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite extends RunningEmulator {
  /** `DefaultEndpointsProtocol=http;AccountName=...;AccountKey=...;BlobEndpoint=...;` */
  readonly connectionString: string;
  readonly accountName: string;
  readonly accountKey: string;
  /** The account's blob URL, e.g. `http://127.0.0.1:10000/devstoreaccount1`. */
  readonly blobEndpoint: string;
}

/**
 * Starts Azurite's blob service on a free port with the project's Node, data
 * on tmpfs, and waits until it answers. With `BACKUP_TEST_AZURE_BLOB_ENDPOINT`
 * set (an Azurite someone else runs, e.g. from docker-compose.test.yml) it
 * only checks that one answers and returns it; `stop()` then leaves it alone.
 * Throws (so tests fail, never skip) when Azurite cannot be reached.
 */
export async function startAzurite(): Promise<RunningAzurite> {
  const external = process.env.BACKUP_TEST_AZURE_BLOB_ENDPOINT;
  if (external !== undefined && external !== '') return await useExternal(external.replace(/\/+$/, ''));

  const port = await freePort();
  const location = scratchDir('azurite');
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  const emulator = await launch({
    name: 'azurite',
    command: process.execPath,
    args: [
      azuriteBlobMain(),
      ...['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location],
      '--silent',
      '--disableTelemetry',
      // Current @azure/storage-blob sends an API version Azurite does not know yet: every call would be a 400.
      '--skipApiVersionCheck',
    ],
    endpoint: blobEndpoint,
    isReady: () => answers(blobEndpoint),
    dataDir: location,
  });
  return { ...describeAccount(blobEndpoint, AZURITE_ACCOUNT_NAME), ...emulator };
}

async function useExternal(blobEndpoint: string): Promise<RunningAzurite> {
  const reachable = await answers(blobEndpoint).catch(() => false);
  if (!reachable) {
    throw new Error(`BACKUP_TEST_AZURE_BLOB_ENDPOINT=${blobEndpoint} does not answer; start Azurite there or unset the variable`);
  }
  const accountName = new URL(blobEndpoint).pathname.split('/').filter(Boolean).pop() ?? AZURITE_ACCOUNT_NAME;
  return {
    ...describeAccount(blobEndpoint, accountName),
    name: 'azurite (external)',
    endpoint: blobEndpoint,
    logFile: '',
    stop: async () => {},
  };
}

function describeAccount(blobEndpoint: string, accountName: string) {
  return {
    accountName,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${AZURITE_ACCOUNT_KEY};` + `BlobEndpoint=${blobEndpoint};`,
  };
}

/** The installed azurite package's blob server entry point (its `azurite-blob` bin). */
function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}
