import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  // Tests start servers, child processes and backups: a busy 2-core machine needs more than vitest's 5 s.
  test: { name: 'core', testTimeout: 60_000, hookTimeout: 60_000 },
});
