import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.stop();
});

async function finished(server: TestServer, path: string): Promise<Record<string, unknown>> {
  for (;;) {
    const answer = await server.call('GET', path);
    if (['SUCCESS', 'FAILED', 'CANCELED'].includes(answer.body?.status)) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The nice value of each thread of this process named like the pool's workers (Linux truncates names to 15 bytes). */
function chunkWorkerNiceValues(): number[] {
  const values: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').startsWith('backup-chunk')) values.push(niceOf(`/proc/self/task/${task}/stat`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return values;
}

function chunkWorkerThreads(): number {
  return chunkWorkerNiceValues().length;
}

/** Field 19 of a `stat` file; the fields after the command name start at field 3. */
function niceOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('BACKUP_WORKER_THREADS=on: backup and restore run in worker threads, which end with the server', { timeout: 120_000 }, async () => {
  expect(chunkWorkerThreads()).toBe(0);
  const server = await startTestServer({ BACKUP_WORKER_THREADS: 'on' });
  servers.push(server);
  expect((await server.call('POST', '/schema', { class: 'Doc', properties: [{ name: 'text', dataType: ['text'] }] })).status).toBe(200);
  for (let i = 0; i < 20; i++) {
    expect((await server.call('POST', '/objects', { class: 'Doc', properties: { text: `document ${i} ${'x'.repeat(2000)}` } })).status).toBe(200);
  }
  expect(chunkWorkerThreads()).toBe(0); // started when a backup needs them, not before
  expect((await server.call('POST', '/backups/filesystem', { id: 'threads', config: { CompressionLevel: 'ZstdDefaultCompression' } })).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/threads')).toMatchObject({ status: 'SUCCESS' });
  expect(chunkWorkerThreads()).toBeGreaterThan(0);
  // They run at a lower CPU priority (nice 10, as documented) than the thread answering requests.
  const mainNice = niceOf(`/proc/self/task/${process.pid}/stat`);
  for (const nice of chunkWorkerNiceValues()) expect(nice).toBe(Math.max(mainNice, 10));

  expect((await server.call('DELETE', '/schema/Doc')).status).toBe(200);
  expect((await server.call('POST', '/backups/filesystem/threads/restore', {})).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/threads/restore')).toMatchObject({ status: 'SUCCESS' });
  const objects = await server.call('GET', '/objects?class=Doc&limit=100');
  expect(objects.body.objects).toHaveLength(20);

  await servers.pop()?.stop();
  expect(chunkWorkerThreads()).toBe(0);
});

test('a provider module with workerEntry: chunk bytes are written and read by the workers, never by the main thread', { timeout: 120_000 }, async () => {
  // The fixture's main-thread instance refuses every chunk object; the instance a worker builds does not.
  const workerOnlyChunks = fileURLToPath(new URL('../../core/test/fixtures/worker-only-chunks.ts', import.meta.url));
  const server = await startTestServer({ BACKUP_WORKER_THREADS: 'on', ENABLE_MODULES: workerOnlyChunks });
  servers.push(server);
  expect((await server.call('POST', '/schema', { class: 'Doc', properties: [{ name: 'text', dataType: ['text'] }] })).status).toBe(200);
  for (let i = 0; i < 20; i++) {
    expect((await server.call('POST', '/objects', { class: 'Doc', properties: { text: `document ${i} ${'y'.repeat(3000)}` } })).status).toBe(200);
  }
  expect((await server.call('POST', '/backups/filesystem', { id: 'own-providers' })).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/own-providers')).toMatchObject({ status: 'SUCCESS' });
  expect((await server.call('DELETE', '/schema/Doc')).status).toBe(200);
  expect((await server.call('POST', '/backups/filesystem/own-providers/restore', {})).status).toBe(200);
  expect(await finished(server, '/backups/filesystem/own-providers/restore')).toMatchObject({ status: 'SUCCESS' });
  const objects = await server.call('GET', '/objects?class=Doc&limit=100');
  expect(objects.body.objects).toHaveLength(20);

  // The same server with workers off must fail the chunk writes: the fixture does refuse them.
  await servers.pop()?.stop();
  const inThread = await startTestServer({ BACKUP_WORKER_THREADS: 'off', ENABLE_MODULES: workerOnlyChunks });
  servers.push(inThread);
  expect((await inThread.call('POST', '/schema', { class: 'Doc', properties: [{ name: 'text', dataType: ['text'] }] })).status).toBe(200);
  expect((await inThread.call('POST', '/objects', { class: 'Doc', properties: { text: 'one' } })).status).toBe(200);
  expect((await inThread.call('POST', '/backups/filesystem', { id: 'in-thread' })).status).toBe(200);
  expect(await finished(inThread, '/backups/filesystem/in-thread')).toMatchObject({ status: 'FAILED' });
});

test('a malformed BACKUP_WORKER_THREADS stops the start naming it', async () => {
  await expect(startTestServer({ BACKUP_WORKER_THREADS: 'sometimes' })).rejects.toThrow(/BACKUP_WORKER_THREADS/);
});
