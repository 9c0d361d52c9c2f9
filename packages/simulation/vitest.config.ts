import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['callpermit-source'] },
  ssr: { resolve: { conditions: ['callpermit-source'] } },
  test: { name: 'simulation', include: ['src/**/*.test.ts'], testTimeout: 60000, hookTimeout: 300000 },
});
