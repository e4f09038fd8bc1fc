// The copy and verify endpoints of a real server (all four providers enabled
// from the environment), and a migration: a backup made on one node, copied
// to every cloud emulator, restored from one of them on another node with
// another name (node_mapping), identical object by object.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, test } from 'vitest';
import { startServer, type RunningServer } from '@backup/server';
import { providerEnv } from '../src/providers.ts';

interface Answer {
  readonly status: number;
  /** Parsed JSON of many shapes; tests read what they need. */
  readonly body: any;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): string {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'backup-e2e-server-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(dataPath: string, nodeName: string, env: NodeJS.ProcessEnv): Promise<(method: string, path: string, body?: unknown) => Promise<Answer>> {
  const server: RunningServer = await startServer({ port: 0, host: '127.0.0.1', dataPath, nodeName, env, log: () => {} });
  cleanups.push(() => server.close());
  return async (method, path, body) => {
    const response = await fetch(`${server.url}/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
}

async function until(call: () => Promise<Answer>, what: string): Promise<Answer> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const answer = await call();
    expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(200);
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(answer.body.status)) return answer;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function allObjects(call: (method: string, path: string) => Promise<Answer>, query: string): Promise<unknown[]> {
  const objects: unknown[] = [];
  let after = '';
  for (;;) {
    const page = await call('GET', `/objects?${query}&limit=200&include=vector${after ? `&after=${after}` : ''}`);
    expect(page.status).toBe(200);
    objects.push(...page.body.objects);
    if (page.body.objects.length < 200) return objects;
    after = page.body.objects.at(-1).id;
  }
}

test('a backup copied through the API to S3, Azure and GCS verifies there and restores on a node with another name', async () => {
  const emulators = inject('emulators');
  const dir = scratch();
  const env = providerEnv(emulators, join(dir, 'filesystem-backups'));
  const first = await serve(join(dir, 'node1'), 'node1', env);

  expect((await first('POST', '/schema', { class: 'Article', properties: [{ name: 'title', dataType: ['text'] }] })).status).toBe(200);
  expect((await first('POST', '/schema', { class: 'Review', multiTenancyConfig: { enabled: true } })).status).toBe(200);
  expect((await first('POST', '/schema/Review/tenants', [{ name: 'hot' }, { name: 'cold' }])).status).toBe(200);
  const articles = Array.from({ length: 400 }, (_, index) => ({
    class: 'Article',
    id: randomUUID(),
    properties: { title: `article ${index} `.repeat(20) },
    vector: Array.from({ length: 16 }, (_, d) => Math.sin(index + d)),
  }));
  const reviews = ['hot', 'cold'].flatMap((tenant) =>
    Array.from({ length: 50 }, (_, index) => ({ class: 'Review', tenant, id: randomUUID(), properties: { text: `${tenant} ${index}` } })),
  );
  expect((await first('POST', '/batch/objects', { objects: [...articles, ...reviews] })).status).toBe(200);
  expect((await first('PUT', '/schema/Review/tenants', [{ name: 'cold', activityStatus: 'COLD' }])).status).toBe(200);

  const id = `migrate-${Date.now().toString(36)}`;
  expect((await first('POST', '/backups/filesystem', { id })).status).toBe(200);
  expect((await until(() => first('GET', `/backups/filesystem/${id}`), 'the backup')).body.status).toBe('SUCCESS');

  for (const backend of ['s3', 'azure', 'gcs']) {
    const started = await first('POST', `/backups/filesystem/${id}/copy`, { to: { backend } });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body).toMatchObject({ id, backend: 'filesystem', status: 'STARTED', to: { backend } });
    const copied = await until(() => first('GET', `/backups/filesystem/${id}/copy`), `the copy to ${backend}`);
    expect(copied.body, backend).toMatchObject({ status: 'SUCCESS', error: '' });
    expect(copied.body.progress.objectsDone).toBe(copied.body.progress.objects);

    expect((await first('POST', `/backups/${backend}/${id}/verify`)).status).toBe(200);
    const verified = await until(() => first('GET', `/backups/${backend}/${id}/verify`), `verification on ${backend}`);
    expect(verified.body, backend).toMatchObject({ status: 'SUCCESS', problems: [] });
    expect((await first('GET', `/backups/${backend}/${id}`)).body).toMatchObject({ id, status: 'SUCCESS' });
  }
  const again = await first('POST', `/backups/filesystem/${id}/copy`, { to: { backend: 'gcs' } });
  expect(again.status).toBe(422); // a complete backup is never overwritten

  // Another node, another name, the same storage: restore the GCS copy there.
  const second = await serve(join(dir, 'node-b'), 'node-b', env);
  const unmapped = await second('POST', `/backups/gcs/${id}/restore`, {});
  expect(unmapped.status).toBe(422); // the backup's node is node1: it needs a mapping
  expect((await second('POST', `/backups/gcs/${id}/restore`, { node_mapping: { node1: 'node-b' } })).status).toBe(200);
  expect((await until(() => second('GET', `/backups/gcs/${id}/restore`), 'the restore')).body).toMatchObject({ status: 'SUCCESS' });

  const [original, restored] = [await allObjects(first, 'class=Article'), await allObjects(second, 'class=Article')];
  expect(original).toHaveLength(400);
  expect(restored).toEqual(original);
  const hot = await allObjects(first, 'class=Review&tenant=hot');
  expect(hot).toHaveLength(50);
  expect(await allObjects(second, 'class=Review&tenant=hot')).toEqual(hot);
  expect((await second('GET', '/schema/Review/tenants')).body).toEqual((await first('GET', '/schema/Review/tenants')).body);
});
