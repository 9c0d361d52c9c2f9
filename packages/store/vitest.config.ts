import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'store',
    include: ['src/**/*.test.ts'],
    testTimeout: 30000,
    // Opening PGlite runs initdb in WASM: seconds, more on a busy machine.
    hookTimeout: 60000,
    // A throwaway PostgreSQL (.ci/pg.sh) unless CALLPERMIT_TEST_PG_URL names one.
    globalSetup: ['src/test/pgGlobalSetup.ts'],
  },
});
