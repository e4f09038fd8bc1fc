// Every provider, and every ordered pair of them, through the reference store:
// 4 round trips, 12 cross-provider copies, and per provider a damaged backup
// and an interrupted copy (runBackupConformance registers them all).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject, test } from 'vitest';
import { runBackupConformance } from '@backup/conformance';
import { lsmHost } from '../src/lsm-host.ts';
import { providerFactories } from '../src/providers.ts';

const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'backup-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

runBackupConformance({
  test,
  providers: providerFactories(inject('emulators'), scratch),
  source: lsmHost,
  scratchDir: scratch,
});
