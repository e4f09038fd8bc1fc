import { afterEach, describe, expect, test } from 'vitest';
import { call } from './helpers.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { classNames, createClass, fill, noise, pollStatus, readAll, waitUntil, type BatchResult } from './backup-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

interface Acknowledged {
  readonly id: string;
  readonly properties: { n: number; text: string };
  readonly at: number;
}

/** A writer that adds batches as fast as the server takes them until stopped, recording every acknowledgement. */
function writer(url: string, className: string, offset: number) {
  let running = true;
  const acknowledged: Acknowledged[] = [];
  const errors: string[] = [];
  const done = (async () => {
    for (let round = 0; running; round++) {
      const objects = Array.from({ length: 20 }, (_, index) => ({
        class: className,
        properties: { n: offset + round * 20 + index, text: noise(2_000) },
      }));
      try {
        const answer = await call(url, 'POST', '/batch/objects', { objects });
        const at = performance.now();
        if (answer.status !== 200) {
          errors.push(`HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
          continue;
        }
        for (const [index, result] of (answer.body as BatchResult[]).entries()) {
          if (result.result?.errors) errors.push(JSON.stringify(result.result.errors));
          else acknowledged.push({ id: result.id, properties: objects[index]!.properties, at });
        }
      } catch (error) {
        errors.push(String(error));
      }
    }
  })();
  return {
    acknowledged,
    errors,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('backup of a live node', { timeout: 300_000 }, () => {
  test('writers at full speed: every object acknowledged before the backup request is restored intact, no writer saw an error', async () => {
    server = await startTestServer();
    const { url } = server;
    await createClass(url, 'Live');
    const writers = [0, 1, 2, 3].map((index) => writer(url, 'Live', index * 1_000_000));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // let them reach full speed and fill memtables
    // and, however loaded the machine, well past the 100 acknowledgements asserted below.
    await waitUntil('writers to be acknowledged', async () => writers.reduce((sum, w) => sum + w.acknowledged.length, 0) >= 400);

    const requestedAt = performance.now();
    const created = await call(url, 'POST', '/backups/filesystem', { id: 'live', config: { ChunkSize: 2 } });
    expect(created.status).toBe(200);
    const status = await pollStatus(url, '/backups/filesystem/live');
    const acknowledgedDuring = writers.flatMap((w) => w.acknowledged).filter((ack) => ack.at > requestedAt).length;
    await Promise.all(writers.map((w) => w.stop()));

    expect(status.status).toBe('SUCCESS');
    expect(writers.flatMap((w) => w.errors)).toEqual([]);
    expect(acknowledgedDuring).toBeGreaterThan(0); // the writers really did run during the backup
    const before = writers.flatMap((w) => w.acknowledged).filter((ack) => ack.at < requestedAt);
    expect(before.length).toBeGreaterThan(100);

    expect((await call(url, 'DELETE', '/schema/Live')).status).toBe(200);
    expect((await call(url, 'POST', '/backups/filesystem/live/restore', {})).status).toBe(200);
    expect((await pollStatus(url, '/backups/filesystem/live/restore')).status).toBe('SUCCESS');
    const restored = await readAll(url, 'Live');
    const missing = before.filter((ack) => restored.get(ack.id)?.text !== ack.properties.text || restored.get(ack.id)?.n !== ack.properties.n);
    expect(missing.map((ack) => ack.id)).toEqual([]);
  });

  test('include and exclude with wildcards pick collections on backup and on restore', async () => {
    server = await startTestServer();
    const { url } = server;
    const data: Record<string, Map<string, unknown>> = {};
    for (const name of ['Article', 'ArticleDraft', 'Author', 'Book']) {
      await createClass(url, name);
      data[name] = await fill(url, name, 30, 200);
    }
    const include = await call(url, 'POST', '/backups/filesystem', { id: 'inc', include: ['Art*'] });
    expect(include.status).toBe(200);
    expect(include.body.classes).toEqual(['Article', 'ArticleDraft']);
    expect((await pollStatus(url, '/backups/filesystem/inc')).status).toBe('SUCCESS');

    const exclude = await call(url, 'POST', '/backups/filesystem', { id: 'exc', exclude: ['A?thor', 'B*'] });
    expect(exclude.body.classes).toEqual(['Article', 'ArticleDraft']);
    expect((await pollStatus(url, '/backups/filesystem/exc')).status).toBe('SUCCESS');

    const list = await call(url, 'GET', '/backups/filesystem');
    expect(list.body.map((entry: { id: string }) => entry.id)).toEqual(['exc', 'inc']);

    for (const name of ['Article', 'ArticleDraft']) expect((await call(url, 'DELETE', `/schema/${name}`)).status).toBe(200);
    const restore = await call(url, 'POST', '/backups/filesystem/inc/restore', { exclude: ['*Draft'] });
    expect(restore.status).toBe(200);
    expect(restore.body.classes).toEqual(['Article']);
    expect((await pollStatus(url, '/backups/filesystem/inc/restore')).status).toBe('SUCCESS');
    expect(await classNames(url)).toEqual(['Article', 'Author', 'Book']);
    expect(new Set((await readAll(url, 'Article')).keys())).toEqual(new Set(data.Article!.keys()));
  });
});
