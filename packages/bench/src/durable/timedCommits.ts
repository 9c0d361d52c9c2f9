import type { BusinessInvalidation, Fact, StoredHead, StreamCommit } from '@callpermit/core';
import { SqlStore } from '@callpermit/store';

/** The facts one commit appended to one stream, in the order the commit carried them. */
export interface StreamAppend {
  readonly stream: string;
  readonly facts: readonly Fact[];
}

/**
 * The SQL store with its commits timed: an Engine over it commits exactly as over SqlStore, and the time
 * spent in `commit` (one transaction per call, every stream of the batch with its folded state) is summed
 * apart from the engine's reads and folds. It also keeps what each commit appended, stream by stream, so
 * the same events can be appended elsewhere in the same groups.
 */
export class TimedCommitStore extends SqlStore {
  commitSeconds = 0;
  readonly commits: StreamAppend[][] = [];

  override async commit(
    commits: readonly StreamCommit[],
    invalidations: readonly BusinessInvalidation[] = [],
  ): Promise<ReadonlyMap<string, StoredHead>> {
    const start = process.hrtime.bigint();
    const written = await super.commit(commits, invalidations);
    this.commitSeconds += Number(process.hrtime.bigint() - start) / 1e9;
    this.commits.push(
      commits.filter((c) => c.facts.length > 0).map((c) => ({ stream: c.stream, facts: c.facts })),
    );
    return written;
  }
}
