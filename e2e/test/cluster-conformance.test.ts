// runBackupConformance pointed at a cluster of three real backup-server
// processes driven through their REST API only, backing up to MinIO.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, inject, test } from 'vitest';
import { runBackupConformance } from '@backup/conformance';
import { processClusterHost, s3Factory } from '../src/cluster-host.ts';
import { scratchRoot } from '../src/cluster-support.ts';

const emulators = inject('emulators');
const scratch = scratchRoot('conformance');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const s3 = s3Factory(emulators);

runBackupConformance({
  test,
  providers: { s3: s3.factory },
  cluster: processClusterHost(emulators, join(scratch, 'filesystem'), s3.pathOf),
  scratchDir: scratch,
  timeoutMs: 180_000,
});
