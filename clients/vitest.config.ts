import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'clients',
    globalSetup: ['./test/global-setup.ts'],
    // Every client starts its own server and runs interpreters, a JVM and Go binaries: minutes on a busy 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxConcurrency: 4,
  },
});
