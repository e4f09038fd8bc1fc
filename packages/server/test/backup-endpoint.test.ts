import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMinioBuckets, startMinio, type RunningMinio } from '@backup/test-emulators/minio';
import { startTestServer, type TestServer } from './helpers.ts';
import { createClass, fill, pollStatus } from './backup-support.ts';

// `config.Endpoint` on create and restore is honoured per request for S3: with two real MinIO
// servers, a backup sent to the second one is there (restorable from it) and not on the configured one.
let configured: RunningMinio;
let other: RunningMinio;
let server: TestServer;
const BUCKET = 'endpoint-bucket';

beforeAll(async () => {
  [configured, other] = await Promise.all([startMinio(), startMinio()]);
  await Promise.all([createMinioBuckets(configured, BUCKET), createMinioBuckets(other, BUCKET)]);
  server = await startTestServer({
    ENABLE_MODULES: 'backup-filesystem,backup-s3',
    BACKUP_S3_BUCKET: BUCKET,
    BACKUP_S3_PATH: `run-${Date.now().toString(36)}`,
    BACKUP_S3_ENDPOINT: new URL(configured.endpoint).host,
    BACKUP_S3_USE_SSL: 'false',
    AWS_ACCESS_KEY_ID: configured.accessKeyId,
    AWS_SECRET_ACCESS_KEY: configured.secretAccessKey,
    AWS_REGION: configured.region,
  });
  await createClass(server.url, 'Article');
  await fill(server.url, 'Article', 5, 100);
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await Promise.all([configured?.stop(), other?.stop()]);
});

test('a backup with config.Endpoint lands on that endpoint and restores from it', { timeout: 120_000 }, async () => {
  const endpoint = new URL(other.endpoint).host;
  const created = await server.call('POST', '/backups/s3', { id: 'elsewhere', config: { Endpoint: endpoint } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  expect((await pollStatus(server.url, '/backups/s3/elsewhere')).status).toBe('SUCCESS');

  // Not on the configured endpoint: its listing does not have it, a restore from it finds nothing.
  const listed = await server.call('GET', '/backups/s3');
  expect(listed.status).toBe(200);
  expect((listed.body as { id: string }[]).map((backup) => backup.id)).not.toContain('elsewhere');
  expect((await server.call('DELETE', '/schema/Article')).status).toBe(200);
  expect((await server.call('POST', '/backups/s3/elsewhere/restore', {})).status).toBe(404);

  // On the other one: the restore reads it from there.
  const restored = await server.call('POST', '/backups/s3/elsewhere/restore', { config: { Endpoint: endpoint } });
  expect(restored.status, JSON.stringify(restored.body)).toBe(200);
  expect((await pollStatus(server.url, '/backups/s3/elsewhere/restore')).status).toBe('SUCCESS');
  expect((await server.call('GET', '/objects?class=Article&limit=100')).body.objects).toHaveLength(5);
});

test('a malformed Endpoint is refused with 422, and so is an Endpoint for a provider without overrides', async () => {
  expect((await server.call('POST', '/backups/s3', { id: 'bad-endpoint', config: { Endpoint: 'http://with-scheme:9000' } })).status).toBe(422);
  expect((await server.call('POST', '/backups/filesystem', { id: 'fs-endpoint', config: { Endpoint: 'elsewhere:9000' } })).status).toBe(422);
  expect((await server.call('GET', '/backups/filesystem/fs-endpoint')).status).toBe(404);
});
