import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

/** How requests are authenticated, as Weaviate's AUTHENTICATION_* variables configure it. */
export interface AuthConfig {
  /** Accepted API keys; empty means API-key authentication is off. */
  readonly apiKeys: readonly string[];
  /** Whether a request without an `Authorization` header is let in. */
  readonly anonymousAccess: boolean;
}

/**
 * Checks a request's `Authorization` header. A wrong key is refused even when
 * anonymous access is on (as Weaviate does). Keys are compared through their
 * digests in constant time so response timing does not leak them.
 */
export function authenticate(config: AuthConfig, header: string | undefined): void {
  if (header === undefined || header.trim() === '') {
    if (config.anonymousAccess) return;
    throw new HttpError(401, 'anonymous access not enabled, please provide an auth scheme such as OIDC or an API key');
  }
  if (config.apiKeys.length === 0) return;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) throw new HttpError(401, 'authorization header must be of the form "Bearer <api key>"');
  const presented = digest(match[1]!.trim());
  let accepted = false;
  for (const key of config.apiKeys) accepted = timingSafeEqual(presented, digest(key)) || accepted;
  if (!accepted) throw new HttpError(401, 'unauthorized: invalid api key');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
