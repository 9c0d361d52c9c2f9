import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'http',
    include: ['src/**/*.test.ts'],
    testTimeout: 60000,
    hookTimeout: 120000,
    // The built CLI (the `serve` processes), a throwaway PostgreSQL (.ci/pg.sh) unless CALLPERMIT_TEST_PG_URL is
    // set, and Debian's chromium for the timeline page (installed when missing).
    globalSetup: [
      '../cli/src/test/buildGlobalSetup.ts',
      '../store/src/test/pgGlobalSetup.ts',
      '../testing/src/browser/chromiumSetup.ts',
    ],
  },
});
