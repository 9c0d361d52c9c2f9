// One retry rule for every writer of the engine (ingest, execute, replay): optimistic concurrency means a
// writer that lost a race reads again and decides again, a bounded number of times.
import { ConcurrencyError, DuplicateFactError } from './port.js';

/**
 * Whether another writer got there first: the stream moved since it was read (ConcurrencyError), or one of
 * the keys was stored meanwhile (DuplicateFactError). Reading again settles either: the stream is read
 * afresh, and a key stored meanwhile is then known (a duplicate fact, or a command recorded already).
 */
export function lostRace(error: unknown): boolean {
  return error instanceof ConcurrencyError || error instanceof DuplicateFactError;
}

/**
 * Runs `attempt` again while it loses a race, `maxAttempts` times at most; the last race lost, and any other
 * error at once, is thrown. `attempt` must read what it decides on afresh each time.
 */
export async function retryLostRaces<T>(maxAttempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!lostRace(error) || n >= maxAttempts) throw error;
    }
  }
}
