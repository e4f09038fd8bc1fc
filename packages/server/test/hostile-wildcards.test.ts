import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorMessage, startTestServer, type TestServer } from './helpers.ts';
import { createClass, fill, pollStatus } from './backup-support.ts';

// include/exclude wildcards must match in linear time: a backtracking regex froze the whole
// server (health checks too) for seconds per request with a dozen `*`.
let server: TestServer;
const LONG_CLASS = `A${'a'.repeat(127)}`; // the longest class name the store takes
beforeAll(async () => {
  server = await startTestServer();
  await createClass(server.url, 'Article');
  await createClass(server.url, LONG_CLASS);
  await fill(server.url, 'Article', 3, 10);
});
afterAll(async () => {
  await server?.stop();
});

/** The slowest answer of `/.well-known/live` polled back to back while `work` runs. */
async function slowestHealthCheckDuring(work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  let slowest = 0;
  while (!done) {
    const started = performance.now();
    const answer = await fetch(`${server.url}/v1/.well-known/live`);
    await answer.arrayBuffer();
    expect(answer.status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

test('50 `*` against a 128-character class name answers at once and the server keeps answering', async () => {
  const patterns = [`${'*'.repeat(50)}b`, `${'*a'.repeat(50)}b`, `${'?*'.repeat(50)}x`, `A${'*a*'.repeat(40)}Z`];
  for (const pattern of patterns) {
    for (const field of ['include', 'exclude'] as const) {
      const started = performance.now();
      const request = server.call('POST', '/backups/filesystem', { id: 'wild', [field]: [pattern, ...(field === 'exclude' ? ['*'] : [])] });
      const slowest = await slowestHealthCheckDuring(request);
      const answer = await request;
      const took = performance.now() - started;
      // Nothing matches (or everything is excluded): refused, never a backup.
      expect(answer.status, JSON.stringify(answer.body)).toBe(422);
      expect(errorMessage(answer)).toMatch(/nothing to back up/);
      expect(took, `${field} ${pattern}`).toBeLessThan(1_000);
      expect(slowest, `${field} ${pattern}: health check`).toBeLessThan(1_000);
    }
  }
});

test('wildcards still select what they match', async () => {
  const answer = await server.call('POST', '/backups/filesystem', { id: 'wild-ok', include: ['Art*', 'A?a*a'] });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.classes.sort()).toEqual([LONG_CLASS, 'Article'].sort());
  expect((await pollStatus(server.url, '/backups/filesystem/wild-ok')).status).toBe('SUCCESS');
  const excluded = await server.call('POST', '/backups/filesystem', { id: 'wild-ex', exclude: ['*a'] });
  expect(excluded.status, JSON.stringify(excluded.body)).toBe(200);
  expect(excluded.body.classes).toEqual(['Article']);
  expect((await pollStatus(server.url, '/backups/filesystem/wild-ex')).status).toBe('SUCCESS');
});
