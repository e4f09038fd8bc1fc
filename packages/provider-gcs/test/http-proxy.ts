// A small HTTP proxy in front of the emulator, for what the emulator cannot
// show by itself: which requests the SDK sent (and with which credentials),
// whether they ended, and how the provider copes with corrupted bytes or
// failing answers that fake-gcs-server never produces.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly authorization: string | undefined;
  /** The status answered; undefined while no answer was sent. */
  status: number | undefined;
  /** The exchange is over: answered completely, or broken off by either side. */
  ended: boolean;
}

export interface ProxyOptions {
  /** Answer a request here instead of forwarding it, e.g. with a 503. */
  readonly intercept?: ((request: IncomingMessage) => { status: number; body: unknown } | undefined) | undefined;
  /** Flip the first byte of every object download (GET ...?alt=media). */
  readonly corruptDownloads?: boolean | undefined;
  /**
   * Answer resumable-upload status queries (an empty PUT whose Content-Range
   * has an unknown range and total) as GCS does, with 308 and the bytes persisted so far. fake-gcs-server
   * instead finalises the upload with what it has, so an SDK that checks the
   * status after a failed chunk (to resume) would commit a truncated object.
   */
  readonly answerStatusQueries?: boolean | undefined;
}

export interface RunningProxy {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards to `target` (e.g. `http://127.0.0.1:4443`). */
export async function startProxy(target: string, options: ProxyOptions = {}): Promise<RunningProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  // upload_id -> the Range header of the emulator's last 308 for that session.
  const persisted = new Map<string, string>();

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      authorization: request.headers.authorization,
      status: undefined,
      ended: false,
    };
    requests.push(record);
    response.once('close', () => (record.ended = true));

    const uploadId = new URL(record.url, 'http://proxy').searchParams.get('upload_id');
    if (options.answerStatusQueries && uploadId !== null && request.headers['content-range'] === 'bytes */*') {
      request.resume();
      record.status = 308;
      const range = persisted.get(uploadId);
      response.writeHead(308, range === undefined ? {} : { range });
      response.end();
      return;
    }

    const canned = options.intercept?.(request);
    if (canned) {
      request.resume();
      record.status = canned.status;
      response.writeHead(canned.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(canned.body));
      return;
    }

    // The Host header stays the proxy's, so the emulator's session URIs and
    // self links point back through the proxy.
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        record.status = answer.statusCode;
        if (uploadId !== null && answer.statusCode === 308 && typeof answer.headers.range === 'string') {
          persisted.set(uploadId, answer.headers.range);
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        const download = record.method === 'GET' && record.url.includes('alt=media');
        if (options.corruptDownloads && download && (answer.statusCode ?? 0) < 300) {
          answer.pipe(flipFirstByte()).pipe(response);
        } else {
          answer.pipe(response);
        }
      },
    );
    forwarded.once('error', () => response.destroy());
    request.once('aborted', () => forwarded.destroy());
    response.once('close', () => {
      if (!response.writableFinished) forwarded.destroy();
    });
    request.pipe(forwarded);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function flipFirstByte(): Transform {
  let flipped = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!flipped && chunk.byteLength > 0) {
        const copy = Buffer.from(chunk);
        copy[0] = copy[0]! ^ 0xff;
        flipped = true;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}
