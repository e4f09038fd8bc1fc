// Python client v4's everyday work around a backup (python-v4/collection.py), against a real
// server: create a collection, insert_many (gRPC BatchObjects), fetch_objects and
// fetch_object_by_id with vectors (gRPC Search), aggregate.over_all and len (gRPC Aggregate),
// config.get (REST schema). Then a REST backup, the collection deleted and restored: the same
// client reads exactly what it read before.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { CLIENTS, finished, startScript } from '../src/programs.ts';
import { startServer, type MatrixServer } from '../src/server-process.ts';

const PYTHON_V4 = CLIENTS.find((client) => client.name === 'python-v4')!;
const BACKUP_ID = 'python-v4-collection';

// Vectors of values float32 holds exactly, so what comes back over gRPC must equal what went in.
const OBJECTS = Array.from({ length: 12 }, (_, n) => ({ properties: { title: `Article ${n}`, n: n * 7 - 20 }, vector: [n, n + 0.5, n / 4 - 1] }));

/** What collection.py prints: `inserted` only after `write`. */
interface CollectionResult {
  inserted?: string[];
  fetched: Record<string, unknown>;
  by_id: Record<string, unknown>;
  total_count: number;
  len: number;
  config: Record<string, unknown>;
}

interface RestAnswer {
  status?: string;
  invertedIndexConfig?: { bm25?: unknown };
  objects?: { id: string; properties: unknown }[];
}

async function ok(server: MatrixServer, method: string, path: string, body?: unknown): Promise<RestAnswer> {
  const answer = await server.call(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Runs collection.py's `step` (stdin: `input`); returns its `result`. */
async function collectionStep(server: MatrixServer, step: 'write' | 'read', input = ''): Promise<CollectionResult> {
  const child = startScript('python-v4', 'collection.py', [step], PYTHON_V4.env(server));
  const lines = finished(child, `python-v4 collection.py ${step}`);
  child.stdin.end(input);
  const last = (await lines).at(-1);
  if (!last || !('result' in last)) throw new Error(`collection.py ${step} printed no result`);
  return last.result;
}

async function untilSuccess(server: MatrixServer, path: string): Promise<void> {
  for (let polls = 0; ; polls++) {
    const status = (await ok(server, 'GET', path)).status;
    if (status === 'SUCCESS') return;
    if (!['STARTED', 'TRANSFERRING', 'TRANSFERRED', 'FINALIZING'].includes(status ?? '') || polls > 1200) throw new Error(`${path}: ${status}`);
    await sleep(50);
  }
}

test('python-v4: create, insert_many, fetch, aggregate, len, config.get; the restored collection reads the same', async () => {
  const server = await startServer('python-v4-collection', true);
  try {
    const { inserted, ...written } = await collectionStep(server, 'write', JSON.stringify(OBJECTS));

    // insert_many's ids, one per object, in order, and every read agrees with what was inserted.
    if (!inserted) throw new Error('collection.py write reported no inserted ids');
    expect(inserted).toHaveLength(OBJECTS.length);
    expect(new Set(inserted).size).toBe(OBJECTS.length);
    const expected = new Map<string, (typeof OBJECTS)[number]>(inserted.map((id, index) => [id, OBJECTS[index]!]));
    expect(Object.keys(written.fetched).sort()).toEqual([...expected.keys()].sort());
    expect(Object.keys(written.by_id).sort()).toEqual([...expected.keys()].sort());
    for (const [id, object] of expected) {
      expect(written.fetched[id]).toEqual(object.properties);
      expect(written.by_id[id]).toEqual({ properties: object.properties, vector: { default: object.vector } });
    }
    expect(written.total_count).toBe(OBJECTS.length);
    expect(written.len).toBe(OBJECTS.length);
    expect(written.config).toEqual({
      name: 'Article',
      properties: { title: 'text', n: 'int' },
      bm25: { b: 0.7, k1: 1.3 },
      vectors: { default: { vectorizer: 'none', index: 'hnsw' } },
      replication_factor: 1,
      multi_tenancy: false,
    });

    // What the client wrote over gRPC is what REST serves.
    expect((await ok(server, 'GET', '/schema/Article')).invertedIndexConfig?.bm25).toEqual({ b: 0.7, k1: 1.3 });
    const rest = await ok(server, 'GET', '/objects?class=Article&limit=100');
    expect(new Map((rest.objects ?? []).map((object) => [object.id, object.properties]))).toEqual(
      new Map([...expected].map(([id, object]) => [id, object.properties])),
    );

    await ok(server, 'POST', '/backups/filesystem', { id: BACKUP_ID, include: ['Article'] });
    await untilSuccess(server, `/backups/filesystem/${BACKUP_ID}`);
    await ok(server, 'DELETE', '/schema/Article');
    expect((await server.call('GET', '/schema/Article')).status).toBe(404);
    await ok(server, 'POST', `/backups/filesystem/${BACKUP_ID}/restore`, {});
    await untilSuccess(server, `/backups/filesystem/${BACKUP_ID}/restore`);

    expect(await collectionStep(server, 'read')).toEqual(written);
  } catch (error) {
    throw new Error(`${String(error instanceof Error ? error.stack : error)}\n--- server log (end) ---\n${server.output().slice(-4000)}`);
  } finally {
    await server.stop();
  }
});
