import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const created = await server.call('POST', '/schema', {
    class: 'Journal',
    properties: [{ name: 'entry', dataType: ['text'] }],
    multiTenancyConfig: { enabled: true },
  });
  expect(created.status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
});

describe('tenants (/v1/schema/{class}/tenants)', () => {
  test('create with statuses in either naming; Weaviate answers HOT/COLD/FROZEN', async () => {
    const created = await server.call('POST', '/schema/Journal/tenants', [
      { name: 'alice' },
      { name: 'bob', activityStatus: 'INACTIVE' },
      { name: 'carol', activityStatus: 'HOT' },
      { name: 'dave', activityStatus: 'OFFLOADED' },
    ]);
    expect(created.status).toBe(200);
    const list = await server.call('GET', '/schema/Journal/tenants');
    expect(list.status).toBe(200);
    const byName = Object.fromEntries(list.body.map((t: { name: string; activityStatus: string }) => [t.name, t.activityStatus]));
    expect(byName).toEqual({ alice: 'HOT', bob: 'COLD', carol: 'HOT', dave: 'FROZEN' });
    expect((await server.call('GET', '/schema/Journal/tenants/bob')).body).toEqual({ name: 'bob', activityStatus: 'COLD' });
    expect((await server.call('GET', '/schema/Journal/tenants/nobody')).status).toBe(404);
  });

  test('objects live in their tenant; a tenant is required and must exist', async () => {
    const id = randomUUID();
    const written = await server.call('POST', '/objects', { class: 'Journal', id, tenant: 'alice', properties: { entry: 'hi' } });
    expect(written.status).toBe(200);
    expect(written.body.tenant).toBe('alice');
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=alice`)).body.properties).toEqual({ entry: 'hi' });
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=carol`)).status).toBe(404);
    expect((await server.call('POST', '/objects', { class: 'Journal', properties: { entry: 'x' } })).status).toBe(422);
    const unknown = await server.call('POST', '/objects', { class: 'Journal', tenant: 'zed', properties: {} });
    expect(unknown.status).toBe(422);
    expect(errorMessage(unknown)).toMatch(/zed/);
    const list = await server.call('GET', '/objects?class=Journal&tenant=alice');
    expect(list.body.objects.map((o: { id: string }) => o.id)).toEqual([id]);
    // Without a class, a tenant lists that tenant's objects across multi-tenant classes.
    const everywhere = await server.call('GET', '/objects?tenant=alice');
    expect(everywhere.body.objects.map((o: { id: string; tenant: string }) => [o.id, o.tenant])).toEqual([[id, 'alice']]);
  });

  test('writes to a COLD tenant fail clearly; re-activating brings the data back', async () => {
    const id = randomUUID();
    await server.call('POST', '/objects', { class: 'Journal', id, tenant: 'carol', properties: { entry: 'before' } });

    const cooled = await server.call('PUT', '/schema/Journal/tenants', [{ name: 'carol', activityStatus: 'COLD' }]);
    expect(cooled.status).toBe(200);
    expect(cooled.body).toEqual([{ name: 'carol', activityStatus: 'COLD' }]);

    const refused = await server.call('POST', '/objects', { class: 'Journal', tenant: 'carol', properties: { entry: 'x' } });
    expect(refused.status).toBe(422);
    expect(errorMessage(refused)).toMatch(/carol.*not active|not active.*carol/);
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=carol`)).status).toBe(422);
    const batch = await server.call('POST', '/batch/objects', { objects: [{ class: 'Journal', tenant: 'carol', properties: {} }] });
    expect(batch.body[0].result.errors.error[0].message).toMatch(/not active/);

    expect((await server.call('PUT', '/schema/Journal/tenants', [{ name: 'carol', activityStatus: 'ACTIVE' }])).status).toBe(200);
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=carol`)).body.properties).toEqual({ entry: 'before' });
    expect((await server.call('POST', '/objects', { class: 'Journal', tenant: 'carol', properties: { entry: 'after' } })).status).toBe(200);
  });

  test('a FROZEN tenant can be brought back too', async () => {
    const id = randomUUID();
    await server.call('POST', '/schema/Journal/tenants', [{ name: 'erin' }]);
    await server.call('POST', '/objects', { class: 'Journal', id, tenant: 'erin', properties: { entry: 'kept' } });
    expect((await server.call('PUT', '/schema/Journal/tenants', [{ name: 'erin', activityStatus: 'FROZEN' }])).status).toBe(200);
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=erin`)).status).toBe(422);
    expect((await server.call('PUT', '/schema/Journal/tenants', [{ name: 'erin', activityStatus: 'HOT' }])).status).toBe(200);
    expect((await server.call('GET', `/objects/Journal/${id}?tenant=erin`)).body.properties).toEqual({ entry: 'kept' });
  });

  test.each([
    ['an unknown status', 'POST', [{ name: 'x1', activityStatus: 'WARMISH' }]],
    ['a tenant without a name', 'POST', [{ activityStatus: 'HOT' }]],
    ['a body that is not an array', 'POST', { name: 'x2' }],
    ['an update without status', 'PUT', [{ name: 'alice' }]],
    ['an update of an unknown tenant', 'PUT', [{ name: 'ghost', activityStatus: 'HOT' }]],
  ])('%s is a 422', async (_what, method, body) => {
    const answer = await server.call(method, '/schema/Journal/tenants', body);
    expect(answer.status).toBe(422);
    expect(errorMessage(answer).length).toBeGreaterThan(0);
  });

  test('tenant calls on a single-tenant class are a 422, on a missing class a 404', async () => {
    await server.call('POST', '/schema', { class: 'Plain' });
    expect((await server.call('GET', '/schema/Plain/tenants')).status).toBe(422);
    expect((await server.call('GET', '/schema/Nowhere/tenants')).status).toBe(404);
  });

  test('deleting tenants removes them and their objects', async () => {
    await server.call('POST', '/schema/Journal/tenants', [{ name: 'frank' }, { name: 'gina' }]);
    await server.call('POST', '/objects', { class: 'Journal', tenant: 'frank', properties: { entry: 'bye' } });
    expect((await server.call('DELETE', '/schema/Journal/tenants', ['frank', { name: 'gina' }])).status).toBe(200);
    const names = (await server.call('GET', '/schema/Journal/tenants')).body.map((t: { name: string }) => t.name);
    expect(names).not.toContain('frank');
    expect(names).not.toContain('gina');
    // Re-created, it starts empty.
    await server.call('POST', '/schema/Journal/tenants', [{ name: 'frank' }]);
    expect((await server.call('GET', '/objects?class=Journal&tenant=frank')).body.objects).toEqual([]);
  });
});
