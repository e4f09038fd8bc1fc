/**
 * Which backups a retention policy keeps: the pure decision, so a dry run
 * and the real run agree. Deleting is `BackupEngine.deleteBackup`, which keeps
 * the objects that kept incremental backups reuse.
 */
import { BackupError, ErrorCode } from '../errors.ts';
import { BackupStatus, isFinalStatus } from '../format/status.ts';
import type { BackupStatusReport } from './types.ts';

export interface RetentionPolicy {
  /** Keep the newest N backups with status SUCCESS. */
  readonly keepLast?: number | undefined;
  /** Keep every backup started less than this many milliseconds ago. */
  readonly newerThanMs?: number | undefined;
}

export interface RetentionPlan {
  readonly keep: string[];
  readonly delete: string[];
}

/**
 * A backup is kept when either rule keeps it (so adding a rule never deletes
 * more); running backups are always kept. At least one rule is required.
 */
export function planRetention(backups: readonly BackupStatusReport[], policy: RetentionPolicy, now = Date.now()): RetentionPlan {
  const { keepLast, newerThanMs } = policy;
  if (keepLast === undefined && newerThanMs === undefined) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, 'a retention policy needs keep-last, newer-than or both');
  }
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 0)) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `keep-last must be a whole number ≥ 0, got ${String(keepLast)}`);
  }
  if (newerThanMs !== undefined && (!Number.isFinite(newerThanMs) || newerThanMs < 0)) {
    throw new BackupError(ErrorCode.INVALID_ARGUMENT, `newer-than must be a duration ≥ 0, got ${String(newerThanMs)}`);
  }
  const newestFirst = [...backups].sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0));
  const lastSuccessful = new Set(
    newestFirst
      .filter((backup) => backup.status === BackupStatus.SUCCESS)
      .slice(0, keepLast ?? 0)
      .map((backup) => backup.id),
  );
  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const backup of newestFirst) {
    const recent = newerThanMs !== undefined && now - (backup.startedAt?.getTime() ?? 0) < newerThanMs;
    const keep = !isFinalStatus(backup.status) || lastSuccessful.has(backup.id) || recent;
    (keep ? plan.keep : plan.delete).push(backup.id);
  }
  return plan;
}
