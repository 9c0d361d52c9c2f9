// The ProvidedContext keys (pgUrl, pgError) are declared beside describeWithPostgres.
import type {} from '@callpermit/testing';
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../throwawayPostgres.js';

/**
 * Gives the store's tests a PostgreSQL server: CALLPERMIT_TEST_PG_URL when set, else a throwaway one from
 * .ci/pg.sh, stopped (and its directory deleted) at teardown.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.CALLPERMIT_TEST_PG_URL;
  if (given) {
    project.provide('pgUrl', given);
    project.provide('pgError', null);
    return undefined;
  }
  let server: ThrowawayPostgres;
  try {
    server = await startThrowawayPostgres();
  } catch (error) {
    project.provide('pgUrl', null);
    project.provide('pgError', (error as Error).message);
    return undefined;
  }
  project.provide('pgUrl', server.url);
  project.provide('pgError', null);
  return () => server.stop();
}
