import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: {
    name: 'timeline',
    include: ['src/**/*.test.ts'],
    testTimeout: 60000,
    hookTimeout: 60000,
    // Debian's chromium for the page tests: installed here when missing (about two minutes on a bare machine).
    globalSetup: ['../testing/src/browser/chromiumSetup.ts'],
  },
});
