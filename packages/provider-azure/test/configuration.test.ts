// Configuration from the environment, exactly as the seed documents it, proven against Azurite.
import assert from 'node:assert/strict';
import { beforeAll, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { AzureProvider, azureOptionsFromEnv, backupModule } from '../src/index.ts';
import { TEST_CONTAINER, azurite, ensureContainers, rawBlobs, uniquePath } from './azurite.ts';

beforeAll(() => ensureContainers(TEST_CONTAINER));

function configError(run: () => unknown): BackupError {
  try {
    run();
  } catch (error) {
    assert.ok(BackupError.is(error, ErrorCode.CONFIG), `expected CONFIG, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a CONFIG error');
}

test('the module is named azure and builds an AzureProvider from the environment', async () => {
  const path = uniquePath('env-module');
  const provider = backupModule.fromEnv({
    BACKUP_AZURE_CONTAINER: TEST_CONTAINER,
    BACKUP_AZURE_PATH: `/${path}/`,
    AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString,
  });
  assert.equal(backupModule.name, 'azure');
  assert.ok(provider instanceof AzureProvider);
  await provider.initialize();
  await provider.put('backup-1/backup_config.json', '{}');
  // BACKUP_AZURE_PATH is the root inside the container, slashes trimmed.
  assert.deepEqual(await rawBlobs(TEST_CONTAINER, path), ['backup-1/backup_config.json']);
  assert.equal(provider.homeDir('backup-1'), `${azurite().blobEndpoint}/${TEST_CONTAINER}/${path}/backup-1`);
  await provider.close();
});

test('AZURE_STORAGE_CONNECTION_STRING wins over AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY', async () => {
  const env = {
    BACKUP_AZURE_CONTAINER: TEST_CONTAINER,
    BACKUP_AZURE_PATH: uniquePath('env-wins'),
    AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString,
    // Would fail if used: another account, a wrong key, an endpoint nobody listens on.
    AZURE_STORAGE_ACCOUNT: 'someoneelse',
    AZURE_STORAGE_KEY: Buffer.from('not the key').toString('base64'),
    AZURE_STORAGE_BLOB_ENDPOINT: 'http://127.0.0.1:9/someoneelse',
  };
  const options = azureOptionsFromEnv(env);
  assert.ok('connectionString' in options && !('accountName' in options));
  const provider = backupModule.fromEnv(env);
  await provider.initialize();
  await provider.close();
});

test('AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY and AZURE_STORAGE_BLOB_ENDPOINT reach the account', async () => {
  const { accountName, accountKey, blobEndpoint } = azurite();
  const provider = backupModule.fromEnv({
    BACKUP_AZURE_CONTAINER: TEST_CONTAINER,
    BACKUP_AZURE_PATH: uniquePath('env-account'),
    AZURE_STORAGE_ACCOUNT: accountName,
    AZURE_STORAGE_KEY: accountKey,
    AZURE_STORAGE_BLOB_ENDPOINT: blobEndpoint,
  });
  await provider.initialize();
  await provider.put('x', 'y');
  assert.equal((await provider.get('x')).toString(), 'y');
  await provider.close();
});

test('without a connection string the account is required; a missing one is CONFIG naming it', () => {
  const error = configError(() => azureOptionsFromEnv({ BACKUP_AZURE_CONTAINER: TEST_CONTAINER, AZURE_STORAGE_KEY: 'a2V5' }));
  expect(error.message).toContain('AZURE_STORAGE_ACCOUNT');
  // An empty connection string counts as unset.
  configError(() => azureOptionsFromEnv({ BACKUP_AZURE_CONTAINER: TEST_CONTAINER, AZURE_STORAGE_CONNECTION_STRING: '' }));
});

test('a missing or empty BACKUP_AZURE_CONTAINER is CONFIG naming it', () => {
  const connection = { AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString };
  expect(configError(() => azureOptionsFromEnv(connection)).message).toContain('BACKUP_AZURE_CONTAINER');
  expect(configError(() => backupModule.fromEnv({ ...connection, BACKUP_AZURE_CONTAINER: ' ' })).message).toContain('BACKUP_AZURE_CONTAINER');
});

test('an invalid container name or path is CONFIG, before any request', () => {
  const connection = { AZURE_STORAGE_CONNECTION_STRING: azurite().connectionString };
  configError(() => azureOptionsFromEnv({ ...connection, BACKUP_AZURE_CONTAINER: 'Not_A_Container' }));
  configError(() => azureOptionsFromEnv({ ...connection, BACKUP_AZURE_CONTAINER: TEST_CONTAINER, BACKUP_AZURE_PATH: 'a/../b' }));
  configError(() => backupModule.fromEnv({ BACKUP_AZURE_CONTAINER: TEST_CONTAINER, AZURE_STORAGE_CONNECTION_STRING: 'no=such;thing' }));
});

test('an empty AZURE_STORAGE_KEY means anonymous access: a public container reads, writes are ACCESS_DENIED', async () => {
  const container = 'public-backups';
  const admin = (await import('./azurite.ts')).adminClient().getContainerClient(container);
  await admin.createIfNotExists({ access: 'container' });
  const path = uniquePath('anonymous');
  await admin.getBlockBlobClient(`${path}/backup-1/backup_config.json`).upload(Buffer.from('public'), 6);

  const { accountName, blobEndpoint } = azurite();
  const provider = backupModule.fromEnv({
    BACKUP_AZURE_CONTAINER: container,
    BACKUP_AZURE_PATH: path,
    AZURE_STORAGE_ACCOUNT: accountName,
    AZURE_STORAGE_KEY: '',
    AZURE_STORAGE_BLOB_ENDPOINT: blobEndpoint,
  });
  assert.equal((await provider.get('backup-1/backup_config.json')).toString(), 'public');
  const keys: string[] = [];
  for await (const info of provider.list('')) keys.push(info.key);
  assert.deepEqual(keys, ['backup-1/backup_config.json']);
  await expect(provider.initialize()).rejects.toMatchObject({ code: ErrorCode.ACCESS_DENIED });
  await expect(provider.put('backup-2/backup_config.json', 'x')).rejects.toMatchObject({ code: ErrorCode.ACCESS_DENIED });
  await provider.close();
});
