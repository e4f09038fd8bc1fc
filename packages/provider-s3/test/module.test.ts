// `ENABLE_MODULES=backup-s3`: the module builds a working provider from the
// environment alone, as a node would at startup.
import { afterAll, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { backupModule, S3Provider } from '../src/index.ts';
import { connection, minioEnv, rawClient, rawEntries } from './minio.ts';

const client = rawClient();
afterAll(() => client.destroy());

test('backupModule is named s3 and builds an S3Provider from BACKUP_S3_* and AWS_* variables', async () => {
  expect(backupModule.name).toBe('s3');
  const env = minioEnv();
  const provider = backupModule.fromEnv(env);
  try {
    expect(provider).toBeInstanceOf(S3Provider);
    await provider.initialize();
    await provider.put('backup-1/backup_config.json', '{"status":"SUCCESS"}');
    expect((await provider.get('backup-1/backup_config.json')).toString()).toBe('{"status":"SUCCESS"}');
    expect(provider.homeDir('backup-1')).toBe(`s3://${connection().bucket}/${env.BACKUP_S3_PATH}/backup-1`);
    // Stored under BACKUP_S3_PATH in BACKUP_S3_BUCKET, and nothing else (the probe is gone).
    expect(await rawEntries(client, connection().bucket, `${env.BACKUP_S3_PATH}/`)).toEqual([`${env.BACKUP_S3_PATH}/backup-1/backup_config.json`]);
  } finally {
    await provider.close();
  }
});

test('AWS_DEFAULT_REGION is used when AWS_REGION is unset (MinIO accepts any region it is signed for)', async () => {
  const provider = backupModule.fromEnv(minioEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: 'eu-central-1' })) as S3Provider;
  try {
    expect(provider.options.region).toBe('eu-central-1');
    await provider.initialize();
  } finally {
    await provider.close();
  }
});

test('without BACKUP_S3_BUCKET the module refuses to build, with CONFIG', () => {
  const env = minioEnv({ BACKUP_S3_BUCKET: undefined });
  const outcome = (() => {
    try {
      return backupModule.fromEnv(env);
    } catch (error) {
      return error;
    }
  })();
  expect(BackupError.is(outcome, ErrorCode.CONFIG), `expected CONFIG, got ${String(outcome)}`).toBe(true);
});

test('an injected S3Client is used as is, and left open by close()', async () => {
  const s3 = connection();
  const provider = new S3Provider({ bucket: s3.bucket, path: `${s3.runPrefix}/injected`, client });
  await provider.put('x', 'y');
  await provider.close();
  // The injected client still works after the provider closed.
  expect(await rawEntries(client, s3.bucket, `${s3.runPrefix}/injected/`)).toEqual([`${s3.runPrefix}/injected/x`]);
});
