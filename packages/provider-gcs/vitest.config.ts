import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  test: {
    name: 'provider-gcs',
    // Starts fake-gcs-server once per run and creates the test buckets.
    globalSetup: ['./test/global-setup.ts'],
    // Uploads of several MiB to an emulator on a busy 2-core machine: not vitest's 5 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
