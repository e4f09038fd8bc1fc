import { BackupError, ErrorCode } from '../errors.ts';
import type { BackupProvider, Location } from '../provider.ts';
import type { LocationFieldNames } from './request-validation.ts';

/** How long checking a request's location may take (a path under /proc, a hung NFS mount). */
export const LOCATION_CHECK_TIMEOUT_MS = 10_000;

/**
 * Runs the provider's `checkLocation` on a request's override, bounded in
 * time: past `timeoutMs` its signal is aborted and the request is refused
 * (UNAVAILABLE), so no request waits on a path that never answers. A refusal
 * names the field the location came from. Nothing to check without an override.
 */
export async function checkRequestLocation(
  provider: BackupProvider,
  location: Location,
  names: LocationFieldNames = { bucket: 'Bucket', path: 'Path' },
  timeoutMs = LOCATION_CHECK_TIMEOUT_MS,
): Promise<void> {
  if (location.endpoint !== undefined && provider.capabilities.endpointOverride !== true) {
    throw new BackupError(
      ErrorCode.NOT_SUPPORTED,
      `'config.Endpoint' is not supported by the ${provider.name} provider: its endpoint is the provider's setting`,
    );
  }
  if (provider.checkLocation === undefined || (location.bucket === undefined && location.path === undefined && location.endpoint === undefined)) return;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const field = location.path !== undefined ? names.path : names.bucket;
      const error = new BackupError(ErrorCode.UNAVAILABLE, `checking ${field} took longer than ${timeoutMs / 1000} s: refused`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    timer.unref?.();
  });
  try {
    await Promise.race([provider.checkLocation(location, { signal: controller.signal }), expired]);
  } catch (error) {
    // A bad endpoint override names itself.
    if (location.endpoint !== undefined && location.bucket === undefined && location.path === undefined) throw error;
    if (BackupError.is(error, ErrorCode.INVALID_ARGUMENT) || BackupError.is(error, ErrorCode.NOT_FOUND)) {
      const field = location.path !== undefined ? names.path : names.bucket;
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid ${field}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
