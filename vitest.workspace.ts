// The list of vitest projects. vitest 4 no longer reads this file on its own:
// vitest.config.ts imports it, so this stays the one place that names the projects.
export const projects = [
  'packages/core',
  'packages/testing',
  'packages/cloud-api',
  'packages/store',
  'packages/simulation',
  'packages/timeline',
  'packages/service',
  'packages/http',
  'packages/cli',
  'packages/soak',
  'packages/bench',
];
