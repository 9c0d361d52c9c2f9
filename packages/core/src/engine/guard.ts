// The guard: an attempt (a permission request or a call, before Meta has given it an id) decided while the
// pair is held, performed only when allowed, and recorded before the pair is released.
import { checkAttempt } from '../boundary/commandCheck.js';
import { type InstantInput, toInstant } from '../boundary/instant.js';
import type { Attempt, Refusal } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { attemptRefusal } from '../rules/decide.js';
import { decisionBase } from './commandHandler.js';
import type { EngineContext } from './context.js';
import { ingest } from './ingest.js';

/** What an attempt's exchange (the upstream call) came to: the caller's value and the facts it established. */
export interface AttemptExchange<T> {
  readonly value: T;
  /** The facts the exchange established (a refused or failed exchange establishes none). */
  readonly facts: readonly Fact[];
}

export interface AttemptOptions<T> {
  /**
   * Records the exchange before the pair is released; by default `ingest(exchange.facts)`. A caller with an
   * inbox records the exchange itself together with its facts, in one transaction.
   */
  readonly record?: (exchange: AttemptExchange<T>) => Promise<unknown>;
}

/** Refused (nothing performed, nothing recorded), or allowed and performed: the instant it was decided at. */
export type AttemptResult<T> =
  | { readonly ok: true; readonly at: Instant; readonly value: T }
  | { readonly ok: false; readonly at: Instant; readonly refusal: Refusal };

/**
 * Decides an attempt and, only when it is allowed, performs it and records what it established, all while
 * holding the pair (`FactStore.exclusive`), so no other attempt on the pair, in any process sharing the log,
 * decides in between. The decision follows `decide`'s rules at `max(asked, the pair's latest fact)`, the
 * instant handed to `perform`; a refusal carries Meta's code and `retryAt`, and nothing is performed or
 * recorded. `perform` is the upstream exchange (the id of the request or call exists only once Meta
 * answers): its facts are recorded before the pair is released, so the next attempt counts them. A `perform`
 * that throws records nothing. The attempt and the instant are checked as `execute` checks a command
 * (InvalidInput), before the pair is held.
 */
export async function attempt<T>(
  ctx: EngineContext,
  given: Attempt,
  when: InstantInput,
  perform: (at: Instant) => Promise<AttemptExchange<T>>,
  options: AttemptOptions<T> = {},
): Promise<AttemptResult<T>> {
  const checked = checkAttempt(given);
  const asked = toInstant(when, 'at');
  return ctx.store.exclusive(pairStreamId(checked.pair), async () => {
    const { at, env, state } = await decisionBase(ctx, checked.pair, asked);
    const refusal = attemptRefusal(state, checked, at, env);
    if (refusal) return { ok: false, at, refusal };
    const exchange = await perform(at);
    if (options.record) await options.record(exchange);
    else if (exchange.facts.length > 0) await ingest(ctx, exchange.facts);
    return { ok: true, at, value: exchange.value };
  });
}
