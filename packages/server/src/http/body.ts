import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';

/**
 * How much of a refused (too large) body is still read and thrown away, so
 * that the client, which is usually still sending, receives the 413 instead of
 * a connection reset. Past it the connection is closed.
 */
export const REFUSED_BODY_DRAIN_BYTES = 64 * 1024 * 1024;

/** A 413 that says whether the rest of the body was read (the connection can stay open). */
export class BodyTooLargeError extends HttpError {
  readonly drained: boolean;

  constructor(limitBytes: number, drained: boolean) {
    super(413, `request body is larger than the limit of ${limitBytes} bytes`);
    this.drained = drained;
  }
}

/**
 * Reads and parses a JSON request body, keeping at most `limitBytes` (413
 * beyond, so a huge upload cannot exhaust memory; the excess is discarded up to
 * `REFUSED_BODY_DRAIN_BYTES` before the answer). An empty body is `undefined`;
 * malformed JSON, or JSON nested deeper than `MAX_JSON_DEPTH`, is a 400, before
 * any handler sees it.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  const text = await readText(request, limitBytes, Number.isFinite(declared) && declared > limitBytes);
  if (text === undefined || text.trim() === '') return undefined;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new HttpError(400, `malformed JSON body: nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `malformed JSON body: ${(error as Error).message}`, { cause: error });
  }
}

/** The body as text, or undefined when empty; rejects with `BodyTooLargeError` once it is all read (or the drain bound passed). */
function readText(request: IncomingMessage, limitBytes: number, refusedUpFront: boolean): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let total = 0;
    let refused = refusedUpFront;
    const finish = (settle: () => void): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      settle();
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (!refused && total > limitBytes) refused = true;
      if (refused) {
        chunks = [];
        if (total > limitBytes + REFUSED_BODY_DRAIN_BYTES) {
          // Still sending far past the limit: answer now and close the connection.
          request.pause();
          finish(() => reject(new BodyTooLargeError(limitBytes, false)));
        }
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish(() => {
        if (refused) reject(new BodyTooLargeError(limitBytes, true));
        else resolve(total === 0 ? undefined : Buffer.concat(chunks, total).toString('utf8'));
      });
    const onError = (error: Error): void => finish(() => reject(error));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}
