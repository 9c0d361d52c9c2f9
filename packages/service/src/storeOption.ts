import {
  DATABASE_URL_ENV,
  openStore,
  type SqlStore,
  type StoreOptions,
  storeOptionsFromEnv,
} from '@callpermit/store';
import { ConfigurationError } from './failure.js';

export interface StoreFlags {
  db?: string;
  databaseUrl?: string;
  /** PGlite's buffer cache in megabytes (`StoreOptions.cacheMb`); a PostgreSQL server keeps its own. */
  cacheMb?: number;
}

/**
 * `--db DIR` (PGlite, default .callpermit/db) or `--database-url URL` / CALLPERMIT_DATABASE_URL (PostgreSQL).
 * A setting comes from its flag, else its variable (`LIMITS_ENV`), else the command's `defaults`.
 */
export async function openStoreOption(
  flags: StoreFlags,
  defaults: Pick<StoreOptions, 'cacheMb'> = {},
): Promise<SqlStore> {
  if (flags.db !== undefined && flags.databaseUrl !== undefined) {
    throw new ConfigurationError('give --db or --database-url, not both');
  }
  const cache = flags.cacheMb === undefined ? {} : { cacheMb: flags.cacheMb };
  // The limits' variables apply either way; with --db, CALLPERMIT_DATABASE_URL does not (it would win).
  const options = {
    ...defaults,
    ...(flags.db !== undefined
      ? storeOptionsFromEnv(
          { dataDir: flags.db, ...cache },
          { ...process.env, [DATABASE_URL_ENV]: undefined },
        )
      : storeOptionsFromEnv(
          flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl, ...cache } : cache,
        )),
  };
  try {
    return await openStore(options);
  } catch (error) {
    const where =
      'databaseUrl' in options ? 'the database' : (flags.db ?? 'the default store (.callpermit/db)');
    throw new ConfigurationError(`cannot open ${where}: ${(error as Error).message.split('\n')[0]}`);
  }
}
