import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  test: {
    name: 'cli',
    // Starts MinIO once for the run (the cloud half of the tests); fails the run if it cannot.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
