// An HTTP proxy that sits between a provider and its backend (an emulator or
// the real service over plain http) and injects the faults networks and
// storage services produce, on exactly the requests a test picks.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';

/**
 * - `reset`: the connection is destroyed before anything is forwarded.
 * - `stall`: the request is accepted and read, and then nothing: no answer, no close.
 * - `truncate`: the answer's headers and half its body are sent, then the connection is destroyed.
 * - `status`: answered with `status` (default 503) without reaching the backend.
 * - `flip`: the answer's body arrives with one byte flipped (the middle one).
 * - `flipRequest`: the request's body reaches the backend with one byte
 *   flipped (the middle one; the first if its length is not announced), its
 *   headers unchanged: damage in transit on an upload.
 */
export type FaultKind = 'reset' | 'stall' | 'truncate' | 'status' | 'flip' | 'flipRequest';

/** Which requests a fault hits. Every field given must match. */
export interface RequestMatcher {
  /** HTTP method, or a pattern of methods (e.g. /^(PUT|POST)$/). */
  readonly method?: string | RegExp | undefined;
  /** Tested against the path and query, percent-decoded (so object keys read as keys). */
  readonly url?: RegExp | undefined;
  /** Any other condition on the request, e.g. a header. */
  readonly where?: ((request: IncomingMessage, decodedUrl: string) => boolean) | undefined;
}

export interface FaultRule extends RequestMatcher {
  readonly fault: FaultKind;
  /** Status answered by `status` (default 503). */
  readonly status?: number | undefined;
  /** The first matching request (1-based) that gets the fault (default 1). */
  readonly nth?: number | undefined;
  /** How many matching requests from `nth` on get it (default 1; Infinity for all). */
  readonly times?: number | undefined;
}

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, percent-decoded. */
  readonly url: string;
  /** The fault injected, if any. */
  readonly fault: FaultKind | undefined;
  /** The byte range asked for (`Range`, or Azure's `x-ms-range`), e.g. `bytes=1024-`. */
  readonly range: string | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point the provider here instead of at the backend. */
  readonly endpoint: string;
  /** `host:port` of `endpoint`. */
  readonly host: string;
  /** Every request seen, in order. */
  readonly requests: readonly ProxiedRequest[];
  /** Adds a rule; it counts only requests that arrive from now on. Returns a function that removes it. */
  inject(rule: FaultRule): () => void;
  /** Removes every rule and releases every stalled exchange. */
  clear(): void;
  /** How many requests got a fault so far. */
  readonly injected: number;
  close(): Promise<void>;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
}

export function matches(matcher: RequestMatcher, request: IncomingMessage, decodedUrl: string): boolean {
  const method = request.method ?? 'GET';
  if (matcher.method !== undefined) {
    if (typeof matcher.method === 'string' ? matcher.method !== method : !matcher.method.test(method)) return false;
  }
  if (matcher.url !== undefined && !matcher.url.test(decodedUrl)) return false;
  if (matcher.where !== undefined && !matcher.where(request, decodedUrl)) return false;
  return true;
}

function decode(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** The first byte of a `bytes=<start>-[<end>]` range (`ProxiedRequest.range`); 0 without one. */
export function rangeStart(range: string | undefined): number {
  const match = range === undefined ? null : /^bytes=(\d+)-/.exec(range);
  return match ? Number(match[1]) : 0;
}

/** Starts a fault proxy on 127.0.0.1 in front of `target` (e.g. `http://127.0.0.1:9000`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const stalled = new Set<Socket>();
  let injected = 0;

  const pick = (request: IncomingMessage, decodedUrl: string): FaultRule | undefined => {
    let chosen: FaultRule | undefined;
    for (const active of rules) {
      if (!matches(active.rule, request, decodedUrl)) continue;
      active.seen += 1;
      const first = active.rule.nth ?? 1;
      const last = first + (active.rule.times ?? 1) - 1;
      if (chosen === undefined && active.seen >= first && active.seen <= last) chosen = active.rule;
    }
    return chosen;
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = decode(request.url ?? '/');
    const rule = pick(request, url);
    const range = request.headers.range ?? request.headers['x-ms-range'];
    requests.push({ method: request.method ?? 'GET', url, fault: rule?.fault, range: typeof range === 'string' ? range : undefined });
    if (rule) injected += 1;
    const socket = request.socket;

    if (rule?.fault === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    if (rule?.fault === 'stall') {
      stalled.add(socket);
      request.resume();
      return;
    }
    if (rule?.fault === 'status') {
      request.resume();
      const status = rule.status ?? 503;
      response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      response.end(`fault injected: ${status}`);
      return;
    }

    // The Host header stays the proxy's: signatures (S3) were made for it, and
    // the backend's session URIs and self links then point back through here.
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        const headers = { ...answer.headers };
        if (rule?.fault === 'truncate') {
          response.writeHead(answer.statusCode ?? 502, headers);
          const length = Number(answer.headers['content-length'] ?? 0);
          let sent = 0;
          answer.on('data', (bytes: Buffer) => {
            const room = Math.max(0, Math.floor(length / 2) - sent);
            if (room > 0) response.write(bytes.subarray(0, room));
            sent += Math.min(room, bytes.byteLength);
            if (sent >= Math.floor(length / 2)) {
              answer.destroy();
              socket.resetAndDestroy();
            }
          });
          answer.on('end', () => socket.resetAndDestroy());
          return;
        }
        response.writeHead(answer.statusCode ?? 502, headers);
        if (rule?.fault === 'flip') {
          answer.pipe(flipMiddleByte(Number(answer.headers['content-length'] ?? 0))).pipe(response);
        } else {
          answer.pipe(response);
        }
      },
    );
    forwarded.on('error', () => socket.destroy());
    request.on('error', () => forwarded.destroy());
    response.on('close', () => {
      if (!response.writableFinished) forwarded.destroy();
    });
    if (rule?.fault === 'flipRequest') {
      request.pipe(flipMiddleByte(Number(request.headers['content-length'] ?? 0))).pipe(forwarded);
    } else {
      request.pipe(forwarded);
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      stalled.delete(socket);
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    get injected() {
      return injected;
    },
    inject(rule) {
      const active: ActiveRule = { rule, seen: 0 };
      rules.push(active);
      return () => {
        const index = rules.indexOf(active);
        if (index >= 0) rules.splice(index, 1);
      };
    },
    clear() {
      rules.length = 0;
      for (const socket of stalled) socket.destroy();
      stalled.clear();
    },
    async close() {
      rules.length = 0;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Flips the byte at the middle of a body of `length` bytes (the first if the length is unknown). */
function flipMiddleByte(length: number): Transform {
  const at = Math.floor(length / 2);
  let offset = 0;
  return new Transform({
    transform(bytes: Buffer, _encoding, callback) {
      if (at >= offset && at < offset + bytes.byteLength) {
        const copy = Buffer.from(bytes);
        copy[at - offset] = (copy[at - offset] as number) ^ 0xff;
        bytes = copy;
      }
      offset += bytes.byteLength;
      callback(null, bytes);
    },
  });
}
