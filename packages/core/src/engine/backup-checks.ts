/** What a backup request must pass before it takes the slot and anything is written. */
import { BackupError, ErrorCode } from '../errors.ts';
import type { GlobalDescriptor } from '../format/descriptors.ts';
import { BackupStatus } from '../format/status.ts';
import type { BackupProvider, Location } from '../provider.ts';
import { hasDeletionMark } from './backup-deletion.ts';
import { readGlobal } from './descriptor-store.ts';
import { describe } from './engine-context.ts';
import { validateBackupId } from './request-validation.ts';
import { removeBackupObjects } from './storage-cleanup.ts';

export function validateBaseId(baseId: unknown, id: string): string {
  if (typeof baseId !== 'string' || baseId === '') {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'invalid incremental_base_backup_id: must be a backup id');
  }
  try {
    validateBackupId(baseId);
  } catch (error) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `invalid incremental_base_backup_id: ${describe(error)}`, { cause: error });
  }
  if (baseId === id) throw new BackupError(ErrorCode.INVALID_ARGUMENT, `backup "${id}" cannot be its own incremental base`);
  return baseId;
}

export async function checkAccess(provider: BackupProvider, location: Location): Promise<void> {
  try {
    await provider.initialize({ location });
  } catch (error) {
    const override = location.bucket !== undefined || location.path !== undefined;
    // A request's own Bucket (or Path) that does not exist, or may not be written, is its mistake;
    // the configured one is the operator's.
    if (override && BackupError.is(error, ErrorCode.ACCESS_DENIED)) {
      throw new BackupError(ErrorCode.INVALID_ARGUMENT, `backend ${provider.name} cannot write there: ${error.message}`, { cause: error });
    }
    if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    const code = override ? ErrorCode.INVALID_ARGUMENT : ErrorCode.CONFIG;
    throw new BackupError(code, `backend ${provider.name} is not usable: ${error.message}`, { cause: error });
  }
}

/** An incremental backup's base must be a SUCCESS backup at the same backend and location: else 422, before anything starts. */
export async function checkBase(provider: BackupProvider, baseId: string, location: Location): Promise<void> {
  let base: GlobalDescriptor;
  try {
    base = await readGlobal(provider, baseId, location);
  } catch (error) {
    if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `incremental base backup "${baseId}" does not exist at "${provider.homeDir(baseId, location)}"`, {
      cause: error,
    });
  }
  if (base.status !== BackupStatus.SUCCESS) {
    throw new BackupError(
      ErrorCode.INVALID_ARGUMENT,
      `incremental base backup "${baseId}" has status ${base.status}: only a backup with status SUCCESS can be a base`,
    );
  }
  if (await hasDeletionMark(provider, baseId, location)) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `incremental base backup "${baseId}" is being deleted`);
  }
}

/** Whether the base is still a SUCCESS backup with no deletion mark, once this backup's STARTED descriptor is stored. */
export async function baseStillThere(provider: BackupProvider, baseId: string, location: Location, signal: AbortSignal): Promise<boolean> {
  if (await hasDeletionMark(provider, baseId, location, signal)) return false;
  try {
    return (await readGlobal(provider, baseId, location)).status === BackupStatus.SUCCESS;
  } catch (error) {
    if (BackupError.is(error, ErrorCode.NOT_FOUND)) return false;
    throw error;
  }
}

/** ALREADY_EXISTS unless the id is unused, or used by a CANCELED backup (whose leftovers are removed). */
export async function checkIdIsFree(provider: BackupProvider, id: string, location: Location, nodes: readonly string[]): Promise<void> {
  let existing: GlobalDescriptor | undefined;
  try {
    existing = await readGlobal(provider, id, location);
  } catch (error) {
    if (!BackupError.is(error, ErrorCode.NOT_FOUND)) throw error;
    if (await hasDeletionMark(provider, id, location)) {
      throw new BackupError(
        ErrorCode.ALREADY_EXISTS,
        `backup "${id}" was deleted, but other backups still reuse its objects: its id cannot be used again until they are deleted`,
      );
    }
    return;
  }
  if (existing.status !== BackupStatus.CANCELED) {
    throw new BackupError(ErrorCode.ALREADY_EXISTS, `backup "${id}" already exists at "${provider.homeDir(id, location)}"`);
  }
  await removeBackupObjects(provider, id, location, nodes); // leftovers of the canceled attempt, if any
}
