/**
 * Status values of backups and restores, spelled as the reference API spells
 * them (note the single L of CANCELED). FINALIZING and CANCELLING are used by
 * restores only.
 */
export const BackupStatus = {
  STARTED: 'STARTED',
  TRANSFERRING: 'TRANSFERRING',
  TRANSFERRED: 'TRANSFERRED',
  FINALIZING: 'FINALIZING',
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  CANCELLING: 'CANCELLING',
  CANCELED: 'CANCELED',
} as const;

export type BackupStatus = (typeof BackupStatus)[keyof typeof BackupStatus];

const FINAL: ReadonlySet<BackupStatus> = new Set([BackupStatus.SUCCESS, BackupStatus.FAILED, BackupStatus.CANCELED]);

/** True once nothing more will happen to the operation. */
export function isFinalStatus(status: BackupStatus): boolean {
  return FINAL.has(status);
}

export function isBackupStatus(value: unknown): value is BackupStatus {
  return typeof value === 'string' && Object.hasOwn(BackupStatus, value);
}
