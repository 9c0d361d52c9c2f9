import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'soak',
    include: ['src/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // The built CLI (`serve`, `replay`, `rebuild` run as real processes) and a throwaway PostgreSQL.
    globalSetup: ['../cli/src/test/buildGlobalSetup.ts', '../store/src/test/pgGlobalSetup.ts'],
  },
});
