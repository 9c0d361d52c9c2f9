import type { Pair, PairFact } from '@callpermit/core';
import { businessAt, HISTORY_START, userOfPair } from '../identities.js';
import { deriveSeed, Random } from '../random.js';
import { PairStory } from '../story.js';
import { storyFacts } from '../storyFacts.js';

/** An episode every 6 hours on average: a long history that still spans decades, not centuries. */
const MEAN_GAP_SECONDS = 6 * 3600;

/**
 * One pair's history of exactly `count` facts, from the same story model as the other benchmarks, in the
 * order they happened. The same for the same arguments.
 */
export function pairHistory(index: number, count: number, seed: number): { pair: Pair; facts: PairFact[] } {
  const user = userOfPair(index);
  const pair: Pair = { business: businessAt(0).phoneNumberId, user };
  const rng = new Random(deriveSeed(seed, index));
  const story = new PairStory(rng, HISTORY_START, {
    user,
    meanGapSeconds: MEAN_GAP_SECONDS,
    callbackEnabledAt: () => true,
  });
  const facts: PairFact[] = [];
  while (facts.length < count) for (const event of story.next()) storyFacts(event, pair, facts);
  facts.length = count;
  return { pair, facts };
}
