import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

// A body over MAX_REQUEST_BODY_BYTES (32 MiB by default) sent with chunked transfer-encoding
// (no Content-Length to refuse it by) must get the 413 answer, not a connection reset.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** POSTs `totalBytes` of a JSON string in 64 KiB chunks (chunked encoding); resolves with the answer. */
function streamChunked(path: string, totalBytes: number): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${server.url}/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    // Clean means: every byte was sent (no reset, no EPIPE) and the whole answer arrived.
    let answer: { status: number; body: string; connection: string | undefined } | undefined;
    let sentAll = false;
    const settle = (): void => {
      if (answer && sentAll) resolve(answer);
    };
    outgoing.on('error', reject);
    outgoing.on('finish', () => {
      sentAll = true;
      settle();
    });
    outgoing.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => {
        answer = { status: response.statusCode ?? 0, body, connection: response.headers.connection };
        settle();
      });
      response.on('error', reject);
    });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    // One chunk per turn of the event loop, so the server (in this process) reads and answers
    // while the client is still sending, as over a real network.
    const pump = (): void => {
      if (sent >= totalBytes) return void outgoing.end('"}');
      if (sent === 0) outgoing.write('{"objects":"');
      sent += chunk.length;
      if (outgoing.write(chunk)) setImmediate(pump);
      else outgoing.once('drain', pump);
    };
    pump();
  });
}

test('a 40 MB chunked body gets a clean 413 with the error body, and the server keeps serving', async () => {
  for (const path of ['/batch/objects', '/backups/filesystem']) {
    const answer = await streamChunked(path, 40 * 1024 * 1024);
    expect(answer.status, path).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: [{ message: expect.stringMatching(/limit of 33554432 bytes/) }] });
    expect((await server.call('GET', '/.well-known/live')).status).toBe(200);
  }
  // The server memory stayed bounded: the body was discarded, not kept.
  expect((await server.call('GET', '/schema')).body).toEqual({ classes: [] });
});
