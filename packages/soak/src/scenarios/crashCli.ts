// Crash of the batch commands: `callpermit replay` SIGKILLed mid-file and run again, and `callpermit rebuild`
// SIGKILLed mid-way. A replay killed at any point and run again ends exactly as one clean replay (log, heads,
// inbox); after each kill the store holds only whole batches of what a clean replay holds. A rebuild killed at any
// point leaves either the old log intact or the new one complete (its policy with it), nothing in between.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@callpermit/bench';
import { type Finished, spawnCli } from '@callpermit/testing/serve';
import { captureCorpus } from '../parts/corpus.js';
import { type StoreTarget, storeArgs } from '../parts/services.js';
import { differences, type StoreSnapshot, snapshotStore } from '../parts/storeSnapshot.js';
import { type Scenario, type SoakContext, Tally } from '../scenario.js';

/** Replays commit 4,000 lines a batch: a file of several batches can be killed between them. */
const SIZES = {
  short: { rounds: 2, lines: 9000, pairs: 300 },
  full: { rounds: 20, lines: 40_000, pairs: 2000 },
};
/** PGlite opens in seconds (WASM): its short run is one round over two batches, to stay short. */
const PGLITE_SHORT = { rounds: 1, lines: 4500, pairs: 150 };

function sizeOf(context: SoakContext, driver: 'pglite' | 'postgres') {
  return driver === 'pglite' && context.size === 'short' ? PGLITE_SHORT : SIZES[context.size];
}

/** A policy whose folded states differ from the default's (fewer misses revoke, shorter grants). */
const OTHER_POLICY = {
  unanswered_reconsider_at: 1,
  unanswered_revoke_at: 2,
  temporary_grant_seconds: 259_200,
};

const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TMPDIR: process.env.TMPDIR,
});

/** Runs the CLI to its end; killed with SIGKILL after `killAfterMs` when given. */
async function cli(args: readonly string[], killAfterMs?: number): Promise<Finished & { ms: number }> {
  const started = performance.now();
  const { child, done } = spawnCli(args, env());
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  // Bounded whatever happens: a command that runs ten minutes is killed and reported.
  const bound = setTimeout(() => child.kill('SIGKILL'), 600_000);
  try {
    return { ...(await done), ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
    clearTimeout(bound);
  }
}

function same(a: StoreSnapshot, b: StoreSnapshot): boolean {
  return (
    differences(a.facts, b.facts).count === 0 &&
    a.facts.size === b.facts.size &&
    differences(a.heads, b.heads).count === 0 &&
    a.heads.size === b.heads.size &&
    differences(a.inbox, b.inbox).count === 0 &&
    a.inbox.size === b.inbox.size &&
    a.policy === b.policy
  );
}

/** Where two snapshots differ, in a few words. */
function describeDifference(a: StoreSnapshot, b: StoreSnapshot): string {
  const parts: string[] = [];
  for (const part of ['facts', 'heads', 'inbox'] as const) {
    const d = differences(a[part], b[part]);
    if (d.count > 0 || a[part].size !== b[part].size)
      parts.push(
        `${part}: ${a[part].size} vs ${b[part].size}, ${d.count} differ (${d.keys.slice(0, 2).join(', ')})`,
      );
  }
  if (a.policy !== b.policy) parts.push('policy differs');
  return parts.join('; ');
}

interface Workspace {
  readonly dir: string;
  readonly file: string;
  target(name: string): Promise<StoreTarget>;
}

async function workspace(context: SoakContext, driver: 'pglite' | 'postgres'): Promise<Workspace> {
  const size = sizeOf(context, driver);
  const dir = mkdtempSync(join(tmpdir(), 'callpermit-soak-cli-'));
  const file = join(dir, 'capture.ndjson');
  writeFileSync(file, `${captureCorpus(size.lines, size.pairs, 21).join('\n')}\n`);
  writeFileSync(join(dir, 'other-policy.json'), JSON.stringify(OTHER_POLICY));
  return {
    dir,
    file,
    target: async (name) =>
      driver === 'pglite' ? { dataDir: join(dir, name) } : { databaseUrl: await context.newDatabase() },
  };
}

function crashReplay(driver: 'pglite' | 'postgres'): Scenario {
  return {
    name: `crash.replay.${driver}`,
    summary: `SIGKILL to replay (${driver}) mid-file, run again: only whole batches after each kill, and the end equals one clean replay`,
    async run(context) {
      const size = sizeOf(context, driver);
      const tally = new Tally();
      const ws = await workspace(context, driver);
      try {
        const cleanTarget = await ws.target('clean');
        const once = await cli(['replay', ws.file, ...storeArgs(cleanTarget), '--json']);
        if (once.code !== 0) throw new Error(`the clean replay failed (${once.code}): ${once.stderr}`);
        const reference = await snapshotStore(cleanTarget);
        let target = await ws.target('crashed-0');
        const random = new Random(31);
        let killedMidFile = 0;
        let fresh = 0;
        for (let round = 0; round < size.rounds; round++) {
          // Somewhere between start-up and the end of a whole replay.
          const run = await cli(
            ['replay', ws.file, ...storeArgs(target), '--json'],
            random.int(200, Math.max(400, once.ms)),
          );
          tally.rounds++;
          tally.inputs += size.lines;
          const after = await snapshotStore(target);
          if (run.signal === 'SIGKILL' && after.inbox.size < reference.inbox.size) killedMidFile++;
          // Only what a clean replay holds, with the same content, and nothing twice.
          const foreign = [...after.facts].filter(
            ([key, content]) => reference.facts.get(key) !== content,
          ).length;
          tally.add('doubleCounted', foreign, `round ${round}: facts a clean replay does not hold`);
          tally.add('doubleCounted', after.factRows - after.facts.size, `round ${round}: keys stored twice`);
          const strayLines = [...after.inbox].filter(([hash, o]) => reference.inbox.get(hash) !== o).length;
          tally.add(
            'violations',
            strayLines,
            `round ${round}: inbox lines with another outcome than a clean replay's`,
          );
          context.log(
            `round ${round}: ${run.signal ?? `exit ${run.code}`}, ${after.inbox.size} of ${reference.inbox.size} lines stored`,
          );
          // A store that holds the whole file is a clean replay's, and the next kill is on a store of its own:
          // killing a replay of lines all stored already would test nothing.
          if (after.inbox.size === reference.inbox.size && round < size.rounds - 1) {
            if (!same(reference, after))
              tally.add('violations', 1, `round ${round}: a completed store differs from a clean replay`);
            target = await ws.target(`crashed-${++fresh}`);
          }
        }
        const last = await cli(['replay', ws.file, ...storeArgs(target), '--json']);
        if (last.code !== 0)
          tally.add('violations', 1, `the last replay exited ${last.code}: ${last.stderr.slice(0, 300)}`);
        const end = await snapshotStore(target);
        tally.add(
          'lost',
          differences(reference.facts, end.facts).count,
          'facts of a clean replay missing at the end',
        );
        tally.add(
          'lost',
          differences(reference.inbox, end.inbox).count,
          'inbox lines of a clean replay missing or different',
        );
        if (!same(reference, end))
          tally.add(
            'violations',
            1,
            `the end differs from a clean replay: ${describeDifference(reference, end)}`,
          );
        tally.note({
          lines: size.lines,
          facts: reference.facts.size,
          killedMidFile,
          freshStores: fresh,
          cleanReplayMs: Math.round(once.ms),
        });
      } finally {
        rmSync(ws.dir, { recursive: true, force: true });
      }
      return tally.report();
    },
  };
}

function crashRebuild(driver: 'pglite' | 'postgres'): Scenario {
  return {
    name: `crash.rebuild.${driver}`,
    summary: `SIGKILL to rebuild (${driver}) mid-way: the old log intact or the new one complete, never in between`,
    async run(context) {
      const size = sizeOf(context, driver);
      const tally = new Tally();
      const ws = await workspace(context, driver);
      const policies = { other: join(ws.dir, 'other-policy.json'), seed: join(ws.dir, 'seed-policy.json') };
      writeFileSync(policies.seed, '{}');
      try {
        // The two states a rebuild may leave, each made by a rebuild that ran to its end.
        const referenceTarget = await ws.target('reference');
        const replayed = await cli([
          'replay',
          ws.file,
          ...storeArgs(referenceTarget),
          '--policy',
          policies.seed,
        ]);
        if (replayed.code !== 0) throw new Error(`the replay failed (${replayed.code}): ${replayed.stderr}`);
        const toOther = await cli(['rebuild', ...storeArgs(referenceTarget), '--policy', policies.other]);
        const other = await snapshotStore(referenceTarget);
        const toSeed = await cli(['rebuild', ...storeArgs(referenceTarget), '--policy', policies.seed]);
        const seed = await snapshotStore(referenceTarget);
        if (toOther.code !== 0 || toSeed.code !== 0)
          throw new Error(`a rebuild failed: ${toOther.stderr}${toSeed.stderr}`);
        if (same(other, seed))
          tally.add(
            'violations',
            1,
            'the two policies fold to the same store: the check could not tell them apart',
          );

        const target = await ws.target('crashed');
        await cli(['replay', ws.file, ...storeArgs(target), '--policy', policies.seed]);
        await cli(['rebuild', ...storeArgs(target), '--policy', policies.seed]);
        let state: 'seed' | 'other' = 'seed';
        const random = new Random(47);
        const outcomes = { old: 0, new: 0 };
        const rebuildMs = Math.max(toOther.ms, toSeed.ms);
        for (let round = 0; round < size.rounds; round++) {
          const goal: 'seed' | 'other' = state === 'seed' ? 'other' : 'seed';
          const run = await cli(
            ['rebuild', ...storeArgs(target), '--policy', policies[goal]],
            random.int(200, Math.round(rebuildMs * 1.1)),
          );
          tally.rounds++;
          tally.inputs += size.lines;
          const after = await snapshotStore(target);
          const expected = { seed, other };
          if (same(after, expected[state])) outcomes.old++;
          else if (same(after, expected[goal])) {
            outcomes.new++;
            state = goal;
          } else
            tally.add(
              'violations',
              1,
              `round ${round} (${run.signal ?? `exit ${run.code}`}): neither the old log nor the new one: ${describeDifference(after, expected[goal])}`,
            );
          context.log(
            `round ${round}: ${run.signal ?? `exit ${run.code}`}, the ${state === goal ? 'new' : 'old'} log`,
          );
        }
        tally.note({
          lines: size.lines,
          facts: seed.facts.size,
          killedBeforeCommit: outcomes.old,
          committed: outcomes.new,
          rebuildMs: Math.round(rebuildMs),
        });
      } finally {
        rmSync(ws.dir, { recursive: true, force: true });
      }
      return tally.report();
    },
  };
}

export const crashReplayPglite = crashReplay('pglite');
export const crashReplayPostgres = crashReplay('postgres');
export const crashRebuildPglite = crashRebuild('pglite');
export const crashRebuildPostgres = crashRebuild('postgres');
