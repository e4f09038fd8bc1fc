// Configuration from the environment and as options, and the requests it leads to.
import { describe, expect, test } from 'vitest';
import { BackupError, ErrorCode } from '@backup/core';
import { S3Provider, backupModule, resolveS3Options, s3OptionsFromEnv, type S3ProviderOptions } from '../src/index.ts';

const MiB = 1024 * 1024;

function configErrorOf(run: () => unknown): BackupError {
  try {
    run();
  } catch (error) {
    expect(BackupError.is(error, ErrorCode.CONFIG), `expected CONFIG, got ${String(error)}`).toBe(true);
    return error as BackupError;
  }
  throw new Error('expected a CONFIG error, but the call succeeded');
}

describe('s3OptionsFromEnv', () => {
  test('BACKUP_S3_BUCKET is required: missing or blank is CONFIG', () => {
    configErrorOf(() => s3OptionsFromEnv({}));
    configErrorOf(() => s3OptionsFromEnv({ BACKUP_S3_BUCKET: '  ' }));
    configErrorOf(() => backupModule.fromEnv({ BACKUP_S3_PATH: 'x' }));
  });

  test('defaults: AWS S3 over https in us-east-1, bucket root, the default credential chain', () => {
    const options = s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'backups' });
    expect(options).toMatchObject({ bucket: 'backups', path: '', useSSL: true, region: 'us-east-1', credentials: undefined });
    const resolved = resolveS3Options(options);
    expect(resolved.endpoint).toBeUndefined();
    expect(resolved.forcePathStyle).toBe(false);
  });

  test('AWS_REGION wins over AWS_DEFAULT_REGION, which is the fallback', () => {
    expect(s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('eu-west-1');
    expect(s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', AWS_REGION: '' }).region).toBe('us-east-1');
  });

  test('BACKUP_S3_USE_SSL takes true/false (any case, or 1/0); anything else is CONFIG', () => {
    const ssl = (value: string) => s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', BACKUP_S3_USE_SSL: value }).useSSL;
    expect(ssl('false')).toBe(false);
    expect(ssl('FALSE')).toBe(false);
    expect(ssl('0')).toBe(false);
    expect(ssl('true')).toBe(true);
    expect(ssl('True')).toBe(true);
    configErrorOf(() => ssl('no thanks'));
  });

  test('BACKUP_S3_ENDPOINT is host[:port]: a scheme or a path is CONFIG', () => {
    const endpoint = (value: string) => s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', BACKUP_S3_ENDPOINT: value }).endpoint;
    expect(endpoint('minio:9000')).toBe('minio:9000');
    expect(endpoint('storage.example.com')).toBe('storage.example.com');
    configErrorOf(() => endpoint('http://minio:9000'));
    configErrorOf(() => endpoint('minio:9000/bucket'));
    configErrorOf(() => endpoint('minio:notaport'));
  });

  test('BACKUP_S3_PATH is normalised; one that could escape is CONFIG', () => {
    expect(s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', BACKUP_S3_PATH: '/weaviate/backups/' }).path).toBe('weaviate/backups');
    configErrorOf(() => s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', BACKUP_S3_PATH: 'a/../b' }));
  });

  test('static credentials need both keys; the session token comes along', () => {
    const keys = { BACKUP_S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' };
    expect(s3OptionsFromEnv(keys).credentials).toEqual({ accessKeyId: 'id', secretAccessKey: 'secret' });
    expect(s3OptionsFromEnv({ ...keys, AWS_SESSION_TOKEN: 'token' }).credentials).toEqual({
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    configErrorOf(() => s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'id' }));
    configErrorOf(() => s3OptionsFromEnv({ BACKUP_S3_BUCKET: 'b', AWS_SECRET_ACCESS_KEY: 'secret' }));
  });
});

describe('options and capabilities', () => {
  test('part size, queue size and page size are declared in the frozen manifest', () => {
    const provider = new S3Provider({ bucket: 'b', partSize: 16 * MiB, queueSize: 2, listPageSize: 50 });
    const { capabilities } = provider;
    expect(capabilities.multipart).toEqual({ partSize: 16 * MiB, queueSize: 2 });
    expect(capabilities.listPageSize).toBe(50);
    expect(capabilities.maxObjectSize).toBe(16 * MiB * 10_000);
    expect(Object.isFrozen(capabilities) && Object.isFrozen(capabilities.multipart)).toBe(true);
    const defaults = new S3Provider({ bucket: 'b' }).capabilities;
    expect(defaults.multipart).toMatchObject({ partSize: 8 * MiB, queueSize: 4 });
    expect(defaults.listPageSize).toBe(1000);
  });

  test('out-of-range sizes are CONFIG', () => {
    const bad: Partial<S3ProviderOptions>[] = [
      { partSize: 4 * MiB },
      { partSize: 6 * 1024 * MiB },
      { queueSize: 0 },
      { listPageSize: 1001 },
      { listPageSize: 0 },
      { maxAttempts: 0 },
      { bucket: '' },
    ];
    for (const options of bad) configErrorOf(() => new S3Provider({ bucket: 'b', ...options }));
  });

  test('homeDir is s3://<bucket>/<path>/<id>, without a double slash at the bucket root, and follows overrides', () => {
    expect(new S3Provider({ bucket: 'b' }).homeDir('backup-1')).toBe('s3://b/backup-1');
    const provider = new S3Provider({ bucket: 'b', path: '/weaviate/backups/' });
    expect(provider.homeDir('backup-1')).toBe('s3://b/weaviate/backups/backup-1');
    expect(provider.homeDir('backup-1', { bucket: 'other' })).toBe('s3://other/weaviate/backups/backup-1');
    expect(provider.homeDir('backup-1', { path: 'elsewhere/' })).toBe('s3://b/elsewhere/backup-1');
    expect(provider.homeDir('backup-1', { path: '' })).toBe('s3://b/backup-1');
  });
});

// AWS itself cannot be reached from the test machines: these tests take the
// request the SDK has built (endpoint resolved, nothing sent) and check where
// it would go.
describe('addressing', () => {
  async function requestFor(env: NodeJS.ProcessEnv): Promise<{ protocol: string; hostname: string; port?: number; path: string }> {
    const provider = backupModule.fromEnv({ AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', ...env }) as S3Provider;
    let captured: { protocol: string; hostname: string; port?: number; path: string } | undefined;
    provider.client.middlewareStack.add(
      () => async (args) => {
        captured = args.request as typeof captured;
        throw new Error('request captured, not sent');
      },
      { step: 'build' },
    );
    await provider.get('backup-1/backup_config.json').catch(() => {});
    await provider.close();
    if (captured === undefined) throw new Error('no request was built');
    return captured;
  }

  test('AWS S3 (the default endpoint): https, virtual-hosted, in the configured region', async () => {
    const request = await requestFor({ BACKUP_S3_BUCKET: 'backups', BACKUP_S3_PATH: 'root', AWS_REGION: 'eu-west-1' });
    expect(request.protocol).toBe('https:');
    expect(request.hostname).toBe('backups.s3.eu-west-1.amazonaws.com');
    expect(request.path).toBe('/root/backup-1/backup_config.json');
  });

  test('a custom endpoint: exactly that host and port, path-style, http when BACKUP_S3_USE_SSL=false', async () => {
    const request = await requestFor({
      BACKUP_S3_BUCKET: 'backups',
      BACKUP_S3_ENDPOINT: 'minio.internal:9000',
      BACKUP_S3_USE_SSL: 'false',
    });
    expect(request.protocol).toBe('http:');
    expect(request.hostname).toBe('minio.internal');
    expect(request.port).toBe(9000);
    expect(request.path).toBe('/backups/backup-1/backup_config.json');
  });

  test('a custom endpoint keeps https by default', async () => {
    const request = await requestFor({ BACKUP_S3_BUCKET: 'backups', BACKUP_S3_ENDPOINT: 'storage.example.com' });
    expect(request.protocol).toBe('https:');
    expect(request.hostname).toBe('storage.example.com');
    expect(request.path).toBe('/backups/backup-1/backup_config.json');
  });
});
