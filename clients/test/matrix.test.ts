// The client matrix: the seed's create / status / restore / restore-status (and
// cancel, where the client has it) samples, in every client the seed shows,
// unchanged but for where the server is, against a real server process.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { CLIENTS, finished, normalized, runStep, startStep, type Client } from '../src/programs.ts';
import { startServer, type MatrixServer } from '../src/server-process.ts';

const SEED_ID = 'my-very-first-backup';
const CLASSES = ['Article', 'Publication'];

async function ok(server: MatrixServer, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await server.call(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Article and Publication with a few objects (properties and vectors); returns them by class. */
async function seedData(server: MatrixServer): Promise<Map<string, Map<string, unknown>>> {
  const stored = new Map<string, Map<string, unknown>>();
  for (const name of CLASSES) {
    await ok(server, 'POST', '/schema', {
      class: name,
      vectorizer: 'none',
      properties: [
        { name: 'title', dataType: ['text'] },
        { name: 'n', dataType: ['int'] },
      ],
    });
    const objects = Array.from({ length: 20 }, (_, n) => ({ class: name, properties: { title: `${name} ${n}`, n }, vector: [n, n + 0.5, -n] }));
    const answer = await ok(server, 'POST', '/batch/objects', { objects });
    stored.set(name, new Map(answer.map((object: any) => [object.id, { properties: object.properties, vector: object.vector }])));
  }
  return stored;
}

async function objectsOf(server: MatrixServer, name: string): Promise<Map<string, unknown>> {
  const answer = await ok(server, 'GET', `/objects?class=${name}&limit=1000&include=vector`);
  return new Map(answer.objects.map((object: any) => [object.id, { properties: object.properties, vector: object.vector }]));
}

/** Runs a status step until it reports SUCCESS (a few hundred runs at most); returns the last result. */
async function statusUntilSuccess(client: Client, server: MatrixServer, step: string): Promise<any> {
  for (let run = 0; ; run++) {
    const result = normalized(await runStep(client, server, step, SEED_ID));
    expect(result.id).toBe(SEED_ID);
    if (result.status === 'SUCCESS' || run >= 200) return result;
    expect(['STARTED', 'TRANSFERRING', 'TRANSFERRED', 'FINALIZING']).toContain(result.status);
    await sleep(100);
  }
}

async function withServer(client: Client, body: (server: MatrixServer) => Promise<void>): Promise<void> {
  const server = await startServer(client.name, client.grpc);
  try {
    await body(server);
  } catch (error) {
    throw new Error(`${String(error instanceof Error ? error.stack : error)}\n--- server log (end) ---\n${server.output().slice(-4000)}`);
  } finally {
    await server.stop();
  }
}

describe.each(CLIENTS)('$name', (client) => {
  test.concurrent('create, status until SUCCESS, restore after deleting the classes, restore-status until SUCCESS: the data is back', async () => {
    await withServer(client, async (server) => {
      const data = await seedData(server);

      const created = normalized(await runStep(client, server, 'create', SEED_ID));
      expect(created.id).toBe(SEED_ID);
      expect(created.classes).toEqual(CLASSES);
      if (client.waits) expect(created.status).toBe('SUCCESS');
      expect((await statusUntilSuccess(client, server, 'status')).status).toBe('SUCCESS');

      for (const name of CLASSES) await ok(server, 'DELETE', `/schema/${name}`);
      const restored = normalized(await runStep(client, server, 'restore', SEED_ID));
      expect(restored.id).toBe(SEED_ID);
      expect(restored.classes).toEqual(client.restored);
      if (client.waits) expect(restored.status).toBe('SUCCESS');
      expect((await statusUntilSuccess(client, server, 'restore-status')).status).toBe('SUCCESS');

      const schema = await ok(server, 'GET', '/schema');
      expect(schema.classes.map((c: { class: string }) => c.class).sort()).toEqual(client.restored);
      for (const name of client.restored) expect(await objectsOf(server, name)).toEqual(data.get(name));
    });
  });

  // Python v3 and TS v2 have no cancel call (the seed shows none for them): no test, rather than a skipped one.
  if (client.cancel)
    test.concurrent('cancel: a running backup ends CANCELED', async () => {
      await withServer(client, async (server) => {
        await ok(server, 'POST', '/schema', { class: 'Big', vectorizer: 'none', properties: [{ name: 'text', dataType: ['text'] }] });
        // Incompressible, 24 MiB, one pipeline at the strongest compression: seconds of work to cancel.
        for (let batch = 0; batch < 24; batch++) {
          await ok(server, 'POST', '/batch/objects', { objects: [{ class: 'Big', properties: { text: randomBytes(768 * 1024).toString('base64') } }] });
        }
        // The program connects first and says so; the backup starts after, so the cancel races nothing but itself.
        const program = startStep(client, server, 'cancel', 'cancel-me');
        const result = finished(program, `${client.name} cancel`);
        await new Promise<void>((resolve, reject) => {
          let out = '';
          program.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes('"ready"')) resolve();
          });
          program.once('close', () => reject(new Error(`${client.name} cancel exited before it was ready`)));
        });
        await ok(server, 'POST', '/backups/filesystem', {
          id: 'cancel-me',
          include: ['Big'],
          config: { ChunkSize: 2, CPUPercentage: 1, CompressionLevel: 'BestCompression' },
        });
        const home = join(server.backups, 'cancel-me');
        const deadline = Date.now() + 60_000;
        while (!(existsSync(home) && readdirSync(home, { recursive: true }).some((path) => /chunk-\d+$/.test(String(path))))) {
          if (Date.now() > deadline) throw new Error('no chunk was stored within 60 s');
          await sleep(10);
        }
        program.stdin.write('go\n');
        const lines = await result;
        expect(lines.at(-1)).toEqual({ result: true });

        for (let polls = 0; ; polls++) {
          const status = await ok(server, 'GET', '/backups/filesystem/cancel-me');
          if (!['STARTED', 'TRANSFERRING', 'TRANSFERRED', 'FINALIZING'].includes(status.status) || polls > 1200) {
            expect(status.status).toBe('CANCELED');
            break;
          }
          await sleep(50);
        }
      });
    });
});
