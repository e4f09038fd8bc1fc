import { defineConfig } from 'vitest/config';

// One run over every package; each package's own vitest.config.ts names its
// project and starts the emulators it needs (globalSetup).
export default defineConfig({
  test: {
    projects: ['packages/*', 'conformance', 'e2e', 'clients', 'bench'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
