import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'service',
    include: ['src/**/*.test.ts'],
    testTimeout: 60000,
    hookTimeout: 60000,
    // A throwaway PostgreSQL (.ci/pg.sh) unless CALLPERMIT_TEST_PG_URL names one.
    globalSetup: ['../store/src/test/pgGlobalSetup.ts'],
  },
});
