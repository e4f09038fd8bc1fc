import type { Location } from './provider.ts';

/**
 * `location`'s `bucket` and `path` without the empty ones, so that
 * `{ path: '' }`, `{ path: undefined }` and `{}` mean the same (the configured
 * value) and compare and key alike. Anything else (`endpoint`) is left out:
 * only the engine checks and keeps it.
 */
export function compactLocation(location: Pick<Location, 'bucket' | 'path'> | undefined): Location {
  return {
    ...(location?.bucket ? { bucket: location.bucket } : {}),
    ...(location?.path ? { path: location.path } : {}),
  };
}
