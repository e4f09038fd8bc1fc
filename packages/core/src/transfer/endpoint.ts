import { compactLocation } from '../location.ts';
import type { BackupProvider, Location } from '../provider.ts';

/**
 * Where a stored backup is, or is to be: a provider and, optionally, a
 * per-call override of its bucket and root path (as `Location` everywhere).
 */
export interface BackupEndpoint {
  readonly provider: BackupProvider;
  readonly location?: Location | undefined;
}

/** The location without empty fields, so that `{ path: '' }` and `{}` mean the same. */
export function locationOf(endpoint: BackupEndpoint): Location {
  return compactLocation(endpoint.location);
}

/** The backup's home at `endpoint` as users see it, e.g. `s3://bucket/root/<id>`. */
export function homeOf(endpoint: BackupEndpoint, id: string): string {
  return endpoint.provider.homeDir(id, locationOf(endpoint));
}
