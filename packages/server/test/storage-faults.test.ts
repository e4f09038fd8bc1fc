// A real server process whose S3 provider reaches MinIO through the fault
// proxy: status writes that reset and chunk uploads that stall must cost the
// backup, never the process, and a cancel must answer within a second.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFaultProxy, type FaultProxy } from '@backup/conformance';
import { createMinioBuckets, startMinio, type RunningMinio } from '@backup/test-emulators/minio';
import { call, scratch } from './helpers.ts';
import { createClass, fill, pollStatus, spawnServer, type ChildServer } from './backup-support.ts';

const BUCKET = 'server-faults';
let minio: RunningMinio;
let proxy: FaultProxy;
let server: ChildServer;
let root: string;

beforeAll(async () => {
  minio = await startMinio();
  await createMinioBuckets(minio, BUCKET);
  proxy = await startFaultProxy(minio.endpoint);
  root = scratch('storage-faults');
  server = await spawnServer({
    PERSISTENCE_DATA_PATH: join(root, 'data'),
    ENABLE_MODULES: 'backup-s3',
    BACKUP_S3_BUCKET: BUCKET,
    BACKUP_S3_ENDPOINT: proxy.host,
    BACKUP_S3_USE_SSL: 'false',
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    AWS_REGION: minio.region,
    BACKUP_S3_PROGRESS_TIMEOUT_MS: '1500',
    BACKUP_RETRY_ATTEMPTS: '3',
    BACKUP_RETRY_BASE_DELAY_MS: '50',
    BACKUP_RETRY_MAX_DELAY_MS: '250',
  });
  await createClass(server.url, 'Faulty');
  await fill(server.url, 'Faulty', 8, 256 * 1024);
}, 180_000);

afterAll(async () => {
  await server?.kill();
  await proxy?.close();
  await minio?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

// What the process must do whatever the storage does: answer.
async function stillAnswering(): Promise<void> {
  expect(server.child.exitCode, server.output()).toBeNull();
  expect((await call(server.url, 'GET', '/.well-known/ready')).status).toBe(200);
}

test('status writes that reset after the first and a stalled upload: the server lives, the backup ends FAILED with a reason', async () => {
  proxy.inject({ method: 'PUT', url: /backup_config\.json/, fault: 'reset', nth: 2, times: Infinity });
  proxy.inject({ method: /^(PUT|POST)$/, url: /\/chunk-\d+/, fault: 'stall', times: Infinity });
  const started = Date.now();
  const created = await call(server.url, 'POST', '/backups/s3', { id: 'stalled', include: ['Faulty'], config: { ChunkSize: 2 } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  let final: Record<string, unknown> | undefined;
  while (!final) {
    await stillAnswering();
    const status = await call(server.url, 'GET', '/backups/s3/stalled');
    expect(status.status).toBe(200);
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(status.body.status)) final = status.body;
    else await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Date.now() - started, 'the bound of a stalled backend').toBeLessThan(30_000);
  }
  expect(final.status).toBe('FAILED');
  expect(String(final.error)).toMatch(/\S/);
  // The descriptor could not be written: the node answers the truth from memory.
  expect((await call(server.url, 'GET', '/backups/s3/stalled')).body.status).toBe('FAILED');
  await stillAnswering();
  proxy.clear();
}, 90_000);

test('a cancel answers within a second while a status write and the uploads stall, and the backup ends CANCELED', async () => {
  proxy.inject({ method: 'PUT', url: /backup_config\.json/, fault: 'stall', nth: 2, times: Infinity });
  proxy.inject({ method: /^(PUT|POST)$/, url: /\/chunk-\d+/, fault: 'stall', times: Infinity });
  const created = await call(server.url, 'POST', '/backups/s3', { id: 'canceled', include: ['Faulty'], config: { ChunkSize: 2 } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const deadline = Date.now() + 20_000;
  while (proxy.injected === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const asked = Date.now();
  const canceled = await call(server.url, 'DELETE', '/backups/s3/canceled');
  expect(Date.now() - asked).toBeLessThan(1000);
  expect(canceled.status).toBeLessThan(300);
  const final = await pollStatus(server.url, '/backups/s3/canceled', undefined, 30_000);
  expect(final.status).toBe('CANCELED');
  await stillAnswering();
  proxy.clear();
}, 90_000);
