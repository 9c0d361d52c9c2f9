import { openStore, type SqlStore, storeOptionsFromEnv } from '@callpermit/store';
import { ConfigurationError } from './failure.js';

export interface StoreFlags {
  db?: string;
  databaseUrl?: string;
}

/** `--db DIR` (PGlite, default .callpermit/db) or `--database-url URL` / CALLPERMIT_DATABASE_URL (PostgreSQL). */
export async function openStoreOption(flags: StoreFlags): Promise<SqlStore> {
  if (flags.db !== undefined && flags.databaseUrl !== undefined) {
    throw new ConfigurationError('give --db or --database-url, not both');
  }
  const options =
    flags.db !== undefined
      ? { dataDir: flags.db }
      : storeOptionsFromEnv(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {});
  try {
    return await openStore(options);
  } catch (error) {
    const where =
      'databaseUrl' in options ? 'the database' : (flags.db ?? 'the default store (.callpermit/db)');
    throw new ConfigurationError(`cannot open ${where}: ${(error as Error).message.split('\n')[0]}`);
  }
}
