// Configuration from the environment, as the backup-gcs documentation names it,
// and from plain options; each proven against the emulator where it matters.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { GcsProvider, backupModule, gcsOptionsFromEnv } from '../src/index.ts';
import { connection, emulatorEnv, rawStorage, uniquePath } from './emulator.ts';
import { startProxy } from './http-proxy.ts';

const scratch = mkdtempSync(join(tmpdir(), 'gcs-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function configError(fn: () => unknown): BackupError {
  try {
    fn();
  } catch (error) {
    assert.ok(BackupError.is(error, ErrorCode.CONFIG), `expected CONFIG, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a CONFIG error');
}

/** A service-account key file like the ones GCP issues, with a fresh (useless) key. */
function serviceAccountFile(email: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const path = join(scratch, `${email.split('@')[0]}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      type: 'service_account',
      project_id: 'from-key-file',
      private_key_id: 'test-key',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: email,
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  return path;
}

async function roundTrip(provider: GcsProvider): Promise<void> {
  await provider.initialize();
  await provider.write('chunk', [Buffer.from('streamed')]);
  await provider.put('descriptor.json', '{}');
  assert.equal((await provider.get('chunk')).toString(), 'streamed');
  const keys: string[] = [];
  for await (const info of provider.list('')) keys.push(info.key);
  assert.deepEqual(keys.sort(), ['chunk', 'descriptor.json']);
  await provider.delete('chunk');
  assert.equal(await provider.exists('chunk'), false);
}

describe('environment', () => {
  test('a missing or empty BACKUP_GCS_BUCKET is a CONFIG error naming it', () => {
    for (const env of [{}, { BACKUP_GCS_BUCKET: '  ' }]) {
      assert.match(configError(() => gcsOptionsFromEnv(env)).message, /BACKUP_GCS_BUCKET/);
      assert.match(configError(() => backupModule.fromEnv(env)).message, /BACKUP_GCS_BUCKET/);
    }
  });

  test('an unreadable BACKUP_GCS_USE_AUTH or BACKUP_GCS_PATH is a CONFIG error naming it', () => {
    assert.match(configError(() => gcsOptionsFromEnv({ BACKUP_GCS_BUCKET: 'b', BACKUP_GCS_USE_AUTH: 'maybe' })).message, /BACKUP_GCS_USE_AUTH/);
    assert.match(configError(() => gcsOptionsFromEnv({ BACKUP_GCS_BUCKET: 'b', BACKUP_GCS_PATH: 'a/../b' })).message, /BACKUP_GCS_PATH/);
  });

  test('backupModule is named gcs and builds a working provider from the environment alone', async () => {
    assert.equal(backupModule.name, 'gcs');
    const env = emulatorEnv();
    const provider = backupModule.fromEnv(env);
    assert.equal(provider.name, 'gcs');
    assert.equal(provider.homeDir('backup-1'), `gs://${env.BACKUP_GCS_BUCKET}/${env.BACKUP_GCS_PATH}/backup-1`);
    await roundTrip(provider as GcsProvider);
    await provider.close();
  });

  test('BACKUP_GCS_PATH may carry slashes around it; absent, backups go to the bucket root', () => {
    const path = uniquePath('slashed');
    const slashed = backupModule.fromEnv({ BACKUP_GCS_BUCKET: 'bucket', BACKUP_GCS_PATH: `/${path}/` });
    assert.equal(slashed.homeDir('id'), `gs://bucket/${path}/id`);
    assert.equal(backupModule.fromEnv({ BACKUP_GCS_BUCKET: 'bucket' }).homeDir('id'), 'gs://bucket/id');
  });

  test('STORAGE_EMULATOR_HOST works with or without a scheme and with a /storage/v1 suffix', async () => {
    // SDK v8 on its own gets either the JSON API or the uploads wrong for two of these.
    const host = new URL(connection().endpoint).host;
    for (const value of [`http://${host}`, host, `http://${host}/storage/v1/`]) {
      const provider = backupModule.fromEnv(emulatorEnv({ STORAGE_EMULATOR_HOST: value })) as GcsProvider;
      await roundTrip(provider);
    }
  });

  test('the project comes from GCP_PROJECT, else GOOGLE_CLOUD_PROJECT', () => {
    const base = { BACKUP_GCS_BUCKET: 'b', BACKUP_GCS_USE_AUTH: 'false' };
    const both = backupModule.fromEnv({ ...base, GCP_PROJECT: 'gcp-project', GOOGLE_CLOUD_PROJECT: 'cloud-project' }) as GcsProvider;
    assert.equal(both.storage.projectId, 'gcp-project');
    const cloudOnly = backupModule.fromEnv({ ...base, GOOGLE_CLOUD_PROJECT: 'cloud-project' }) as GcsProvider;
    assert.equal(cloudOnly.storage.projectId, 'cloud-project');
    assert.equal(gcsOptionsFromEnv(base).projectId, undefined);
  });
});

describe('credentials', () => {
  test('BACKUP_GCS_USE_AUTH=false sends no credentials, even with GOOGLE_APPLICATION_CREDENTIALS set', async () => {
    const proxy = await startProxy(connection().endpoint);
    try {
      const env = emulatorEnv({
        STORAGE_EMULATOR_HOST: proxy.endpoint,
        GOOGLE_APPLICATION_CREDENTIALS: serviceAccountFile('ignored@example.iam.gserviceaccount.com'),
      });
      const provider = backupModule.fromEnv(env) as GcsProvider;
      await roundTrip(provider);
      assert.ok(proxy.requests.length >= 6, 'the calls went through the recording proxy');
      assert.deepEqual(
        proxy.requests.filter((request) => request.authorization !== undefined),
        [],
      );
      // Not even for a real GCS endpoint: the client has nothing to sign with.
      const headers = await provider.storage.authClient.getRequestHeaders('https://storage.googleapis.com/storage/v1/b');
      assert.equal(headers.get('authorization'), null);
    } finally {
      await proxy.close();
    }
  });

  test('by default, GOOGLE_APPLICATION_CREDENTIALS from the given environment supplies the credentials', async () => {
    const email = 'backups@example.iam.gserviceaccount.com';
    const provider = backupModule.fromEnv({
      BACKUP_GCS_BUCKET: 'bucket',
      GOOGLE_APPLICATION_CREDENTIALS: serviceAccountFile(email),
    }) as GcsProvider;
    // Reads the key file only; nothing is sent anywhere.
    const credentials = await provider.storage.authClient.getCredentials();
    assert.equal(credentials.client_email, email);
  });

  test('GOOGLE_APPLICATION_CREDENTIALS of the process environment reaches the credentials too', async () => {
    const email = 'process-env@example.iam.gserviceaccount.com';
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = serviceAccountFile(email);
    try {
      const provider = backupModule.fromEnv({ ...process.env, BACKUP_GCS_BUCKET: 'bucket' }) as GcsProvider;
      assert.equal((await provider.storage.authClient.getCredentials()).client_email, email);
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });

  test('an unreadable credentials file makes initialize fail with ACCESS_DENIED', async () => {
    // The emulator never asks for credentials, so this provider points at GCS
    // itself; it fails while reading the key file, before any request is sent.
    const provider = backupModule.fromEnv({
      BACKUP_GCS_BUCKET: connection().bucket,
      GOOGLE_APPLICATION_CREDENTIALS: join(scratch, 'does-not-exist.json'),
    }) as GcsProvider;
    const outcome = await provider.initialize().then(
      () => assert.fail('initialize should fail'),
      (error: unknown) => error,
    );
    assert.ok(BackupError.is(outcome, ErrorCode.ACCESS_DENIED), `expected ACCESS_DENIED, got ${String(outcome)}`);
    assert.ok(outcome.cause instanceof Error);
  });
});

describe('options', () => {
  test('an injected Storage client is used as it is', async () => {
    const storage = rawStorage();
    const provider = new GcsProvider({ bucket: connection().bucket, path: uniquePath('injected'), storage });
    assert.equal(provider.storage, storage);
    await roundTrip(provider);
  });

  test('listPageSize and chunkSize are declared in the capabilities and validated', () => {
    const provider = new GcsProvider({ bucket: 'b', useAuth: false, listPageSize: 7, chunkSize: 512 * 1024 });
    assert.equal(provider.capabilities.listPageSize, 7);
    assert.equal(provider.capabilities.multipart?.partSize, 512 * 1024);
    assert.equal(new GcsProvider({ bucket: 'b', useAuth: false }).capabilities.listPageSize, 1000);
    assert.equal(new GcsProvider({ bucket: 'b', useAuth: false, chunkSize: 0 }).capabilities.multipart, null);
    for (const bad of [{ chunkSize: 1000 }, { chunkSize: -262144 }, { listPageSize: 0 }, { listPageSize: 1001 }, { bucket: '' }]) {
      assert.throws(
        () => new GcsProvider({ bucket: 'b', useAuth: false, ...bad }),
        (error: unknown) => BackupError.is(error, ErrorCode.INVALID_ARGUMENT),
      );
    }
  });
});
