import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'bench',
    include: ['src/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
  },
});
