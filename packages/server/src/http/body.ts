import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

/**
 * Reads and parses a JSON request body, refusing more than `limitBytes`
 * (413) as soon as the limit is crossed, so a huge upload cannot exhaust memory.
 * An empty body is `undefined`; malformed JSON is a 400.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }
  if (total === 0) return undefined;
  const text = Buffer.concat(chunks, total).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `malformed JSON body: ${(error as Error).message}`, { cause: error });
  }
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `request body is larger than the limit of ${limitBytes} bytes`);
}
