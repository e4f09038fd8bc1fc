import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  test: {
    name: 'provider-sftp',
    // Starts a local OpenSSH sshd once for the run and provides `inject('sftp')`; fails the run if it cannot.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
