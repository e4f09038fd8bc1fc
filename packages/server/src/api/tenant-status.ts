import type { TenantStatus } from '@backup/lsm';
import { unprocessable } from '../http/errors.ts';

/**
 * Weaviate accepts both its current status names (ACTIVE, INACTIVE, OFFLOADED)
 * and the older ones (HOT, COLD, FROZEN), and answers with the older ones, as
 * its REST API still does (its clients translate).
 */
const STATUS_BY_NAME: Readonly<Record<string, TenantStatus>> = {
  HOT: 'HOT',
  ACTIVE: 'HOT',
  COLD: 'COLD',
  INACTIVE: 'COLD',
  FROZEN: 'FROZEN',
  OFFLOADED: 'FROZEN',
};

/** The store status for a status name given by a client; 422 for anything unknown. */
export function parseTenantStatus(value: unknown, tenant: string): TenantStatus {
  const status = typeof value === 'string' ? STATUS_BY_NAME[value.toUpperCase()] : undefined;
  if (status === undefined) {
    throw unprocessable(`tenant '${tenant}': activityStatus '${String(value)}' is not one of HOT/ACTIVE, COLD/INACTIVE, FROZEN/OFFLOADED`);
  }
  return status;
}
