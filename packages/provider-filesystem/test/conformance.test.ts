// The whole exported conformance suite, against a tmpfs folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { FilesystemProvider, backupModule } from '../src/index.ts';
import { runProviderConformance } from '@backup/conformance';
import { rawEntries, scratchRoot } from './scratch.ts';

const root = mkdtempSync(join(scratchRoot(), 'conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let instances = 0;
// Overrides are siblings of each instance's root: allowed through `allowedRoots`, as an operator would.
const factory = () => new FilesystemProvider({ path: join(root, `instance-${++instances}`), allowedRoots: [root], listPageSize: 4 });

runProviderConformance({
  test,
  factory,
  capabilities: factory().capabilities,
  alternateLocation: () => ({ path: join(root, `override-${++instances}`) }),
  inspect: async (provider) => rawEntries((provider as FilesystemProvider).root),
  module: { backupModule, env: () => ({ BACKUP_FILESYSTEM_PATH: join(root, `instance-${++instances}`) }) },
});
