import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await server?.stop();
});

describe('probes, meta and nodes', () => {
  test('.well-known/live and ready answer 200', async () => {
    expect((await server.call('GET', '/.well-known/live')).status).toBe(200);
    expect((await server.call('GET', '/.well-known/ready')).status).toBe(200);
  });

  test('/meta names a Weaviate version and the enabled backup modules', async () => {
    const meta = await server.call('GET', '/meta');
    expect(meta.status).toBe(200);
    expect(meta.body.hostname).toBe(server.url);
    expect(meta.body.version).toMatch(/^1\.\d+\.\d+$/);
    expect(Object.keys(meta.body.modules)).toEqual(['backup-filesystem']);
  });

  test('/meta lists several providers when several are enabled', async () => {
    const two = await startTestServer({
      ENABLE_MODULES: 'backup-filesystem,backup-s3',
      BACKUP_S3_BUCKET: 'meta-test',
      BACKUP_S3_ENDPOINT: '127.0.0.1:1',
      BACKUP_S3_USE_SSL: 'false',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_REGION: 'us-east-1',
    });
    try {
      expect(Object.keys((await two.call('GET', '/meta')).body.modules).sort()).toEqual(['backup-filesystem', 'backup-s3']);
    } finally {
      await two.stop();
    }
  });

  test('/nodes counts shards and objects per node', async () => {
    await server.call('POST', '/schema', { class: 'Counted', shardingConfig: { desiredCount: 2 } });
    await server.call('POST', '/schema', { class: 'Tenanted', multiTenancyConfig: { enabled: true } });
    await server.call('POST', '/schema/Tenanted/tenants', [{ name: 'a' }, { name: 'b', activityStatus: 'COLD' }]);
    await server.call('POST', '/batch/objects', {
      objects: [
        ...Array.from({ length: 5 }, () => ({ class: 'Counted', properties: {} })),
        ...Array.from({ length: 3 }, () => ({ class: 'Tenanted', tenant: 'a', properties: {} })),
      ],
    });
    const nodes = await server.call('GET', '/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.body.nodes).toHaveLength(1);
    const node = nodes.body.nodes[0];
    expect(node).toMatchObject({ name: 'node1', status: 'HEALTHY', stats: { objectCount: 8, shardCount: 4 } });
    const shards = node.shards.map((s: { class: string; name: string; objectCount: number; loaded: boolean }) => [s.class, s.name, s.loaded]);
    expect(shards).toEqual([
      ['Counted', 'shard-0', true],
      ['Counted', 'shard-1', true],
      ['Tenanted', 'a', true],
      ['Tenanted', 'b', false],
    ]);
    expect(node.shards.find((s: { name: string }) => s.name === 'a').objectCount).toBe(3);
    const minimal = await server.call('GET', '/nodes?output=minimal');
    expect(minimal.body.nodes[0].shards).toBeUndefined();
    expect((await server.call('GET', '/nodes/Counted')).body.nodes[0].stats).toEqual({ objectCount: 5, shardCount: 2 });
  });

  test('CLUSTER_HOSTNAME names the node', async () => {
    const named = await startTestServer({ CLUSTER_HOSTNAME: 'alpha' });
    try {
      expect((await named.call('GET', '/nodes')).body.nodes[0].name).toBe('alpha');
    } finally {
      await named.stop();
    }
  });
});

describe('errors', () => {
  test('unknown routes are 404 with an error body', async () => {
    for (const path of ['/nothing', '/schema/A/b/c']) {
      const answer = await server.call('GET', path);
      expect(answer.status).toBe(404);
      expect(errorMessage(answer)).toMatch(/no route/);
    }
    const outside = await fetch(`${server.url}/v2/meta`);
    expect(outside.status).toBe(404);
  });

  test('HEAD answers like GET, without a body', async () => {
    const head = await fetch(`${server.url}/v1/schema`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${server.url}/v1/schema/Missing`, { method: 'HEAD' })).status).toBe(404);
  });

  test('a known path with the wrong method is 405', async () => {
    const answer = await server.call('PATCH', '/schema');
    expect(answer.status).toBe(405);
    expect(errorMessage(answer)).toMatch(/PATCH/);
  });

  test('malformed JSON is 400 on every body-taking endpoint', async () => {
    for (const [method, path] of [
      ['POST', '/objects'],
      ['POST', '/batch/objects'],
      ['POST', '/schema/X/tenants'],
      ['POST', '/backups/filesystem'],
    ] as const) {
      const answer = await server.call(method, path, '{not json');
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(errorMessage(answer)).toMatch(/JSON/);
    }
  });

  test('a body over the limit is refused with 413, and the server keeps serving', async () => {
    const big = JSON.stringify({ objects: [{ class: 'Counted', properties: { blob: 'x'.repeat(100 * 1024) } }] });
    const answer = await server.call('POST', '/batch/objects', big);
    expect(answer.status).toBe(413);
    expect(errorMessage(answer)).toMatch(/limit/);
    expect((await server.call('GET', '/meta')).status).toBe(200);
  });
});
