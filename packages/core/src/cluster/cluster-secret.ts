import { createHash, timingSafeEqual } from 'node:crypto';

/** Request headers as node:http and most frameworks give them (any case of name). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: RequestHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

/**
 * True when the request carries `Authorization: Bearer <secret>`. Both sides
 * are hashed first so the comparison takes the same time whatever the length
 * or content of a wrong guess.
 */
export function hasClusterSecret(headers: RequestHeaders | undefined, secret: string): boolean {
  const value = header(headers, 'authorization');
  const match = value === undefined ? null : /^Bearer (.+)$/i.exec(value.trim());
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(secret).digest();
  // A missing header still runs the comparison, so absence is not faster to detect.
  return timingSafeEqual(given, expected) && match !== null;
}

export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}
