import type { Pair, PairFact } from '@callpermit/core';
import { businessAt, businessCount, businessOfPair, HISTORY_START, userOfPair } from './identities.js';
import { deriveSeed, Random } from './random.js';
import { PairStory } from './story.js';
import { storyFacts } from './storyFacts.js';

export interface PairHistory {
  readonly pair: Pair;
  /** Roughly in time order, with some facts arriving late. */
  readonly facts: readonly PairFact[];
}

export interface FactGeneratorOptions {
  readonly pairs: number;
  readonly seed: number;
  /** How long each pair's history runs. */
  readonly days: number;
  /** Mean time between two episodes of a pair (a message exchange, a request, a call, …). */
  readonly meanGapSeconds: number;
  /** Share of facts that arrive late: moved a few places later than their instant puts them. */
  readonly lateShare: number;
}

/** Per-pair fact histories for the fold benchmark, the same for the same options. */
export function generatePairHistories(options: FactGeneratorOptions): PairHistory[] {
  const businesses = businessCount(options.pairs);
  const histories: PairHistory[] = [];
  for (let i = 0; i < options.pairs; i++) {
    const rng = new Random(deriveSeed(options.seed, i));
    const user = userOfPair(i);
    const pair: Pair = { business: businessAt(businessOfPair(i, businesses)).phoneNumberId, user };
    const start = HISTORY_START + rng.int(0, 86400);
    const end = start + options.days * 86400;
    const story = new PairStory(rng, start, {
      user,
      meanGapSeconds: options.meanGapSeconds,
      callbackEnabledAt: () => true,
    });
    const facts: PairFact[] = [];
    for (;;) {
      const episode = story.next();
      if (episode.length > 0 && (episode[0]?.at ?? end) >= end) break;
      for (const event of episode) storyFacts(event, pair, facts);
    }
    arriveLate(facts, rng, options.lateShare);
    histories.push({ pair, facts });
  }
  return histories;
}

/** Moves a share of the facts 1–8 places later, as webhooks that arrive after later ones do. */
function arriveLate(facts: PairFact[], rng: Random, share: number): void {
  for (let i = facts.length - 2; i >= 0; i--) {
    if (!rng.chance(share)) continue;
    const to = Math.min(facts.length - 1, i + rng.int(1, 8));
    const [late] = facts.splice(i, 1);
    if (late) facts.splice(to, 0, late);
  }
}
