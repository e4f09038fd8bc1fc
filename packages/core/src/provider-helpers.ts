import { ErrorCode } from './errors.ts';
import { normalizeRootPath } from './keys.ts';
import type { Location } from './provider.ts';

// Statuses a cloud SDK retries before giving up: when one reaches a provider, retries ran out.
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The `ErrorCode` an HTTP status means to every cloud provider: 404
 * NOT_FOUND, 401/403 ACCESS_DENIED, 400 INVALID_ARGUMENT, 409/412 CONFLICT,
 * 408/429/500/502/503/504 UNAVAILABLE (the engine retries it); `undefined`
 * for anything else, which the provider decides from its SDK's own codes.
 * A provider's `mapError` still says *what* to check (which bucket, which
 * setting); this only keeps the codes the same across providers.
 */
export function errorCodeForHttpStatus(status: number | undefined): ErrorCode | undefined {
  switch (status) {
    case undefined:
      return undefined;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 401:
    case 403:
      return ErrorCode.ACCESS_DENIED;
    case 400:
      return ErrorCode.INVALID_ARGUMENT;
    case 409:
    case 412:
      return ErrorCode.CONFLICT;
    default:
      return TRANSIENT_STATUSES.has(status) ? ErrorCode.UNAVAILABLE : undefined;
  }
}

/**
 * The root path a call works under: the `path` of its `location` override
 * (normalized, so `/a//b/` is `a/b`), else the root the provider was
 * configured with (already normalized). `''` is the bucket's top.
 */
export function resolveRoot(location: Location | undefined, configuredRoot: string): string {
  return location?.path === undefined ? configuredRoot : normalizeRootPath(location.path);
}

/** The bucket a call works in: the `bucket` of its `location` override, else the configured one. */
export function resolveBucket(location: Location | undefined, configuredBucket: string): string {
  return location?.bucket ?? configuredBucket;
}

/** `root` as a key prefix: `''` for the bucket's top, otherwise `root/`. */
export function rootPrefix(root: string): string {
  return root === '' ? '' : `${root}/`;
}

/**
 * The folder name in a delimiter listing's common prefix: `listed` is the
 * prefix the listing asked for (root prefix + folder), `commonPrefix` one
 * answer such as `root/folder/name/`. Returns `name`, or `undefined` for an
 * answer that is not a folder directly below (an empty name, another prefix).
 */
export function folderFromCommonPrefix(commonPrefix: string | undefined, listed: string): string | undefined {
  if (commonPrefix === undefined || !commonPrefix.startsWith(listed) || commonPrefix.length <= listed.length + 1) return undefined;
  return commonPrefix.slice(listed.length, -1);
}
