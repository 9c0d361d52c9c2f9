// A worker process for the concurrency test (run from dist: `node dist/test/contender.js`). It waits for a
// line on stdin (so that both workers start together), then walks the shared schedule through an Engine over
// PostgreSQL and prints one JSON line per command: what it asked and what it was answered.
import { createInterface } from 'node:readline';
import { type Command, Engine, type Instant, type Pair, type PairFact, policyBook } from '@callpermit/core';
import { openStore } from '../index.js';

export interface ContenderPlan {
  readonly databaseUrl: string;
  readonly business: string;
  readonly worker: number;
  readonly phases: number;
  readonly commandsPerPhase: number;
  readonly users: number;
  readonly t0: Instant;
}

/** Phases are 8 days apart: longer than every window, so each phase starts with every limit free. */
export const PHASE_SECONDS = 8 * 86_400;
/** Connected-call limit for the run: 2 a day, attempts holding a place (callAttemptHoldSeconds). */
export const policy = policyBook({ connectedCallLimits: [{ periodSeconds: 86_400, maxAllowed: 2 }] });

export function pairsOf(plan: Pick<ContenderPlan, 'business' | 'users'>): Pair[] {
  return Array.from({ length: plan.users }, (_, u) => ({ business: plan.business, user: `4477009000${u}` }));
}

/** Grants for every pair at the start of a phase: both workers ingest the same facts (same keys). */
export function grantsOf(plan: ContenderPlan, phase: number): PairFact[] {
  const at = plan.t0 + phase * PHASE_SECONDS - 60;
  return pairsOf(plan).map((pair) => ({
    type: 'PermissionGranted',
    pair,
    at,
    key: `${pair.business}/${pair.user}:grant:${phase}`,
    source: { kind: 'test', ref: 'contender' },
    permanent: false,
    expiresAt: at + 86_400,
    via: 'profile',
  }));
}

/** The worker's commands of a phase, all at the phase's instant, over every pair. */
export function commandsOf(plan: ContenderPlan, phase: number): Command[] {
  const pairs = pairsOf(plan);
  return Array.from({ length: plan.commandsPerPhase }, (_, j): Command => {
    const pair = pairs[(j + plan.worker) % pairs.length] as Pair;
    const id = `${plan.business}.w${plan.worker}.p${phase}.j${j}`;
    return j % 2 === 0
      ? { type: 'SendPermissionRequest', pair, requestId: id, channel: 'template' }
      : { type: 'StartCall', pair, callId: id };
  });
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '') as ContenderPlan;
  const store = await openStore({ databaseUrl: plan.databaseUrl });
  const engine = new Engine(store, { policy });
  const input = createInterface({ input: process.stdin });
  const go = () => new Promise<void>((resolve) => input.once('line', () => resolve()));
  console.log(JSON.stringify({ ready: true }));
  await go();
  for (let phase = 0; phase < plan.phases; phase++) {
    // Both workers start a phase together: a command is decided at no earlier instant than the pair's latest
    // fact, so a worker that ran ahead into the next phase would move the other's commands there.
    console.log(JSON.stringify({ [`phase${phase}`]: true }));
    await go();
    await engine.ingest(grantsOf(plan, phase));
    const at = plan.t0 + phase * PHASE_SECONDS;
    for (const command of commandsOf(plan, phase)) {
      const decision = await engine.execute(command, at);
      console.log(
        JSON.stringify({
          command,
          ok: decision.ok,
          keys: decision.ok ? decision.facts.map((f) => f.key) : [],
          code: decision.ok ? null : decision.refusal.code,
          replayed: 'replayed' in decision ? decision.replayed : false,
        }),
      );
    }
  }
  input.close();
  await store.close();
  console.log(JSON.stringify({ done: true }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
