import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject, test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { SftpProvider, backupModule } from '../src/index.ts';

const { host, port, username, privateKey, root } = inject('sftp');
let run = 0;
// `fromEnv` reads the key from a file.
const keys = mkdtempSync(join(tmpdir(), 'sftp-key-'));
afterAll(() => rmSync(keys, { recursive: true, force: true }));
const keyFile = join(keys, 'client_key');
writeFileSync(keyFile, privateKey, { mode: 0o600 });
const provider = (path: string) => new SftpProvider({ host, port, username, privateKey, path, listPageSize: 7 });
runProviderConformance({
  test,
  factory: () => provider(`${root}/instance-${++run}`),
  capabilities: provider(root).capabilities,
  alternateLocation: () => ({ path: `${root}/elsewhere-${++run}` }),
  module: {
    backupModule,
    env: () => ({
      BACKUP_SFTP_HOST: host,
      BACKUP_SFTP_PORT: String(port),
      BACKUP_SFTP_USERNAME: username,
      BACKUP_SFTP_PRIVATE_KEY_FILE: keyFile,
      BACKUP_SFTP_PATH: `${root}/env-${++run}`,
    }),
  },
  largeObjectSize: 16 * 1024 * 1024, // SFTP moves one 64 KiB request at a time: 64 MiB takes ~1 min on 2 busy cores
});
