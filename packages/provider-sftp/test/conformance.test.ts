import { inject, test } from 'vitest';
import { runProviderConformance } from '@backup/conformance';
import { SftpProvider } from '../src/index.ts';

const { host, port, username, privateKey, root } = inject('sftp');
let run = 0;
const provider = (path: string) => new SftpProvider({ host, port, username, privateKey, path, listPageSize: 7 });
runProviderConformance({
  test,
  factory: () => provider(`${root}/instance-${++run}`),
  capabilities: provider(root).capabilities,
  alternateLocation: () => ({ path: `${root}/elsewhere-${++run}` }),
  largeObjectSize: 16 * 1024 * 1024, // SFTP moves one 64 KiB request at a time: 64 MiB takes ~1 min on 2 busy cores
});
