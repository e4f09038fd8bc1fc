import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  test: {
    name: 'provider-azure',
    globalSetup: ['./test/global-setup.ts'],
  },
});
