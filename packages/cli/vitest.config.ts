import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'cli',
    include: ['src/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    // The built CLI (for tests that run it as a real process) and a throwaway PostgreSQL.
    globalSetup: ['src/test/buildGlobalSetup.ts', '../store/src/test/pgGlobalSetup.ts'],
  },
});
