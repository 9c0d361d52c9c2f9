import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: { name: 'core', include: ['src/**/*.test.ts'], testTimeout: 20000 },
});
