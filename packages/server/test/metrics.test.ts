import { afterEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';
// biome-ignore lint/suspicious/noShadowRestrictedNames: see observe-support.ts
import { backupAndRestore, scrape, seedBooks, valueOf } from './observe-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const node = { backend_name: 'filesystem', node: 'node1' };

describe('Prometheus metrics', { timeout: 120_000 }, () => {
  test('off unless PROMETHEUS_MONITORING_ENABLED', async () => {
    server = await startTestServer();
    expect(server.metricsUrl).toBeUndefined();
  });

  test('after one known backup and restore, scraped over HTTP from a real server', async () => {
    server = await startTestServer({ PROMETHEUS_MONITORING_ENABLED: 'true', PROMETHEUS_MONITORING_PORT: '0' });
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const before = await scrape(server.metricsUrl!);
    expect(valueOf(before, 'backup_store_data_transferred', node)).toBe(0);
    expect(valueOf(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    await seedBooks(server);
    const { backup, restore } = await backupAndRestore(server, 'measured');
    const bytes = (backup.progress as { bytesTotal: number }).bytesTotal;
    expect(bytes).toBeGreaterThan(0);
    expect((restore.progress as { bytesDone: number }).bytesDone).toBe(bytes);

    const after = await scrape(server.metricsUrl!);
    // Weaviate's names: bytes per backend, durations as histograms in ms.
    expect(valueOf(after, 'backup_store_data_transferred', node)).toBe(bytes);
    expect(valueOf(after, 'backup_restore_data_transferred', node)).toBe(bytes);
    expect(valueOf(after, 'backup_store_ms_count', { ...node, status: 'SUCCESS' })).toBe(1);
    expect(valueOf(after, 'backup_restore_ms_count', { ...node, status: 'SUCCESS' })).toBe(1);
    const storeMs = valueOf(after, 'backup_store_ms_sum', { ...node, status: 'SUCCESS' });
    const elapsed = Date.parse(backup.completedAt as string) - Date.parse(backup.startedAt as string);
    expect(Math.abs(storeMs - elapsed)).toBeLessThanOrEqual(5); // the same start and end, give or take a write
    expect(valueOf(after, 'backup_store_ms_bucket', { ...node, status: 'SUCCESS', le: '+Inf' })).toBe(1);
    expect(valueOf(after, 'backup_operations_total', { kind: 'backup', ...node, status: 'SUCCESS', error_code: '' })).toBe(1);
    expect(valueOf(after, 'backup_operations_total', { kind: 'restore', ...node, status: 'SUCCESS', error_code: '' })).toBe(1);
    expect(valueOf(after, 'backup_operations_in_flight', { kind: 'backup', ...node })).toBe(0);
    expect(valueOf(after, 'backup_operations_in_flight', { kind: 'restore', ...node })).toBe(0);
    expect(valueOf(after, 'backup_chunks_retried_total', { kind: 'backup', ...node })).toBe(0);
    // One snapshot per shard of the class: its writer stall observed once.
    expect(valueOf(after, 'backup_writer_stall_ms_count', { ...node, class_name: 'Book' })).toBeGreaterThanOrEqual(1);

    // A failed restore (the class exists again) is refused up front: no operation, nothing counted.
    expect((await server.call('POST', '/backups/filesystem/measured/restore', {})).status).toBe(422);
    const refused = await scrape(server.metricsUrl!);
    expect(valueOf(refused, 'backup_restore_ms_count', { ...node, status: 'FAILED' })).toBe(0);

    // Cancelled: counted by its final status.
    expect((await server.call('POST', '/backups/filesystem', { id: 'stopped' })).status).toBe(200);
    await server.call('DELETE', '/backups/filesystem/stopped');
    const { pollStatus } = await import('./backup-support.ts');
    const cancelled = await pollStatus(server.url, '/backups/filesystem/stopped');
    const final = await scrape(server.metricsUrl!);
    expect(
      valueOf(final, 'backup_operations_total', {
        kind: 'backup',
        ...node,
        status: cancelled.status as string,
        error_code: cancelled.status === 'SUCCESS' ? '' : 'ABORTED',
      }),
    ).toBe(1);
    expect(valueOf(final, 'backup_operations_in_flight', { kind: 'backup', ...node })).toBe(0);
  });

  test('a bad port variable is refused at start, naming it', async () => {
    await expect(startTestServer({ PROMETHEUS_MONITORING_ENABLED: 'true', PROMETHEUS_MONITORING_PORT: 'nope' })).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringContaining('PROMETHEUS_MONITORING_PORT'),
    });
  });
});
