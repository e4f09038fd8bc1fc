import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@backup/source'] },
  ssr: { resolve: { conditions: ['@backup/source'] } },
  test: { name: 'bench', testTimeout: 120_000, hookTimeout: 120_000 },
});
