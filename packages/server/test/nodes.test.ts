/**
 * `GET /nodes` shows each shard's own object count (kept by the store, not
 * scanned per request), and follows writes and deletes at once.
 */
import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

interface ShardJson {
  class: string;
  name: string;
  objectCount: number;
}

async function shardCounts(className: string): Promise<Record<string, number>> {
  const answer = await server.call('GET', `/nodes/${className}`);
  expect(answer.status).toBe(200);
  return Object.fromEntries((answer.body.nodes[0].shards as ShardJson[]).map((s) => [s.name, s.objectCount]));
}

describe('/nodes object counts', () => {
  test('a sharded collection shows each shard its own count', async () => {
    await server.call('POST', '/schema', { class: 'Spread', shardingConfig: { desiredCount: 3 } });
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const batch = await server.call('POST', '/batch/objects', { objects: ids.map((id) => ({ class: 'Spread', id, properties: {} })) });
    expect(batch.status).toBe(200);
    // The store routes an object to shard CRC-32(id) mod desiredCount (documented in @backup/lsm).
    const expected: Record<string, number> = { 'shard-0': 0, 'shard-1': 0, 'shard-2': 0 };
    for (const id of ids) expected[`shard-${crc32(Buffer.from(id)) % 3}`]!++;
    expect(await shardCounts('Spread')).toEqual(expected);

    const gone = ids.slice(0, 10);
    for (const id of gone) expect((await server.call('DELETE', `/objects/Spread/${id}`)).status).toBe(204);
    for (const id of gone) expected[`shard-${crc32(Buffer.from(id)) % 3}`]!--;
    expect(await shardCounts('Spread')).toEqual(expected);
    const node = (await server.call('GET', '/nodes/Spread')).body.nodes[0];
    expect(node.stats).toEqual({ objectCount: 50, shardCount: 3 });
  });
});
