import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMinioBuckets, startMinio, type RunningMinio } from '@backup/test-emulators/minio';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';
import { createClass, fill, pollStatus } from './backup-support.ts';

// A per-request Bucket that does not exist is the request's mistake: 4xx naming the bucket,
// never a 500, never a held slot. Against a real MinIO.
let minio: RunningMinio;
let server: TestServer;
const BUCKET = 'hostile-buckets';
const MISSING = 'no-such-bucket-here';

beforeAll(async () => {
  minio = await startMinio();
  await createMinioBuckets(minio, BUCKET);
  server = await startTestServer({
    ENABLE_MODULES: 'backup-filesystem,backup-s3',
    BACKUP_S3_BUCKET: BUCKET,
    BACKUP_S3_PATH: `run-${Date.now().toString(36)}`,
    BACKUP_S3_ENDPOINT: new URL(minio.endpoint).host,
    BACKUP_S3_USE_SSL: 'false',
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    AWS_REGION: minio.region,
  });
  await createClass(server.url, 'Article');
  await fill(server.url, 'Article', 5, 100);
  expect((await server.call('POST', '/backups/s3', { id: 'done' })).status).toBe(200);
  expect((await pollStatus(server.url, '/backups/s3/done')).status).toBe('SUCCESS');
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await minio?.stop();
});

describe('a Bucket override that does not exist', { timeout: 120_000 }, () => {
  test.each([
    ['create', 'POST', '/backups/s3', { id: 'never', config: { Bucket: MISSING } }, [422]],
    ['restore', 'POST', '/backups/s3/done/restore', { config: { Bucket: MISSING } }, [404, 422]],
    ['status', 'GET', `/backups/s3/done?bucket=${MISSING}`, undefined, [404, 422]],
    ['cancel', 'DELETE', `/backups/s3/done?bucket=${MISSING}`, undefined, [404, 422]],
    ['list', 'GET', `/backups/s3?bucket=${MISSING}`, undefined, [404, 422]],
    ['restore status', 'GET', `/backups/s3/done/restore?bucket=${MISSING}`, undefined, [404, 422]],
    ['copy to it', 'POST', '/backups/s3/done/copy', { to: { backend: 's3', bucket: MISSING } }, [422]],
    ['copy from it', 'POST', '/backups/s3/done/copy', { from: { bucket: MISSING }, to: { backend: 'filesystem' } }, [404, 422]],
    ['verify in it', 'POST', '/backups/s3/done/verify', { bucket: MISSING }, [404, 422]],
  ] as const)('%s: 4xx naming the bucket', async (_name, method, path, body, statuses) => {
    const answer = await server.call(method, path, body);
    expect(statuses as readonly number[], `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`).toContain(answer.status);
    expect(errorMessage(answer)).toMatch(new RegExp(`${MISSING}|bucket`, 'i'));
    expect((await server.call('GET', '/.well-known/live')).status).toBe(200);
  });

  test('afterwards a normal backup to the configured bucket succeeds', async () => {
    const answer = await server.call('POST', '/backups/s3', { id: 'after' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect((await pollStatus(server.url, '/backups/s3/after')).status).toBe('SUCCESS');
  });
});
