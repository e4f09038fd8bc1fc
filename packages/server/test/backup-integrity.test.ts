import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';
import { classNames, createClass, filesBelow, fill, pollStatus, readAll } from './backup-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('integrity and multi-tenancy', { timeout: 300_000 }, () => {
  test('one flipped byte in one chunk: the restore FAILS naming that chunk, and the collection stays absent', async () => {
    server = await startTestServer();
    const { url, call } = server;
    await createClass(url, 'Fragile');
    await fill(url, 'Fragile', 12, 1024 * 1024);
    expect((await call('POST', '/backups/filesystem', { id: 'flip', config: { ChunkSize: 2 } })).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/flip')).status).toBe('SUCCESS');
    expect((await call('DELETE', '/schema/Fragile')).status).toBe(200);

    const dir = join(server.root, 'backups', 'flip', 'node1', 'Fragile');
    const chunks = (await readdir(dir)).filter((name) => name.startsWith('chunk-')).sort();
    expect(chunks.length).toBeGreaterThan(2);
    const victim = chunks[Math.floor(chunks.length / 2)]!;
    const bytes = await readFile(join(dir, victim));
    const at = Math.floor(bytes.byteLength / 3);
    bytes[at] = bytes[at]! ^ 0x20;
    await writeFile(join(dir, victim), bytes);

    expect((await call('POST', '/backups/filesystem/flip/restore', {})).status).toBe(200);
    const status = await pollStatus(url, '/backups/filesystem/flip/restore');
    expect(status.status).toBe('FAILED');
    expect(status.error).toContain(`flip/node1/Fragile/${victim}`);
    expect(await classNames(url)).toEqual([]);
    expect(await filesBelow(join(server.dataPath, 'restoring'))).toEqual([]);
  });

  test('HOT and COLD tenants are backed up and restored with their statuses; FROZEN is skipped and reported', async () => {
    server = await startTestServer();
    const { url, call } = server;
    await createClass(url, 'Tenanted', { multiTenancyConfig: { enabled: true } });
    const tenants = ['hot', 'cold', 'frozen'];
    expect(
      (
        await call(
          'POST',
          '/schema/Tenanted/tenants',
          tenants.map((name) => ({ name, activityStatus: 'HOT' })),
        )
      ).status,
    ).toBe(200);
    const data: Record<string, Map<string, unknown>> = {};
    for (const tenant of tenants) data[tenant] = await fill(url, 'Tenanted', 25, 500, tenant);
    const update = await call('PUT', '/schema/Tenanted/tenants', [
      { name: 'cold', activityStatus: 'COLD' },
      { name: 'frozen', activityStatus: 'FROZEN' },
    ]);
    expect(update.status).toBe(200);

    expect((await call('POST', '/backups/filesystem', { id: 'mt' })).status).toBe(200);
    const status = await pollStatus(url, '/backups/filesystem/mt');
    expect(status.status).toBe('SUCCESS');
    expect(status.skipped).toEqual([{ collection: 'Tenanted', shard: 'frozen', reason: expect.any(String) }]);
    const descriptor = JSON.parse(await readFile(join(server.root, 'backups', 'mt', 'node1', 'backup.json'), 'utf8'));
    expect(descriptor.collections[0].skipped.map((entry: { shard: string }) => entry.shard)).toEqual(['frozen']);
    expect(descriptor.collections[0].shards.map((shard: { name: string; status: string }) => [shard.name, shard.status]).sort()).toEqual([
      ['cold', 'COLD'],
      ['hot', 'HOT'],
    ]);

    expect((await call('DELETE', '/schema/Tenanted')).status).toBe(200);
    expect((await call('POST', '/backups/filesystem/mt/restore', {})).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/mt/restore')).status).toBe('SUCCESS');
    const restored = await call('GET', '/schema/Tenanted/tenants');
    const statuses = Object.fromEntries((restored.body as { name: string; activityStatus: string }[]).map((t) => [t.name, t.activityStatus]));
    expect(statuses.hot).toBe('HOT');
    expect(statuses.cold).toBe('COLD');
    expect(statuses.frozen).toBeUndefined();
    expect(new Set((await readAll(url, 'Tenanted', 'hot')).keys())).toEqual(new Set(data.hot!.keys()));
    expect((await call('PUT', '/schema/Tenanted/tenants', [{ name: 'cold', activityStatus: 'HOT' }])).status).toBe(200);
    expect(new Set((await readAll(url, 'Tenanted', 'cold')).keys())).toEqual(new Set(data.cold!.keys()));
  });
});
