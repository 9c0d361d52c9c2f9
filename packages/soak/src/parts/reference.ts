// The clean replay every crash and redelivery run is compared with: the same bodies, each applied once, in
// order, through the same translation and recording code the service uses (`recordLines`), over the in-memory
// store. Its fact keys and its answers (Meta's GET body per pair, as JSON text) are what a run must end with.
import { Translator } from '@callpermit/cloud-api';
import {
  Engine,
  type Fact,
  type Instant,
  isBusinessFact,
  MemoryFactStore,
  type Pair,
} from '@callpermit/core';
import { recordLines, type TranslatedLine, WEBHOOK_SOURCE } from '@callpermit/service';
import type { Delivery } from './corpus.js';
import { call, concurrently } from './services.js';

export interface Reference {
  /** Every fact key, with the fact as JSON without its source (sources name request ids, which differ). */
  readonly facts: ReadonlyMap<string, string>;
  readonly pairs: readonly Pair[];
  /** The first and the last fact's instants. */
  readonly firstAt: Instant;
  readonly lastAt: Instant;
  /** The keys of the facts each delivery carries (by index in the deliveries given). */
  keysOf(index: number): readonly string[];
  /** Meta's GET body for `pair` at `at`, as the service sends it (JSON text). */
  body(pair: Pair, at: Instant): Promise<string>;
}

/** A fact as JSON without its source: what two logs of the same inputs must agree on. */
export function factContent(fact: Fact): string {
  const { source: _, ...rest } = fact;
  return JSON.stringify(rest);
}

/** Applies each distinct body once, in order, and answers from the result. */
export async function cleanReplay(deliveries: readonly Delivery[]): Promise<Reference> {
  const engine = new Engine(new MemoryFactStore());
  const translator = new Translator();
  const seen = new Set<string>();
  const keys: string[][] = [];
  let batch: TranslatedLine[] = [];
  for (const [i, d] of deliveries.entries()) {
    const outcome = translator.webhook(JSON.parse(d.body), 1_767_000_000 + i, `${WEBHOOK_SOURCE}:${i}`);
    keys.push(outcome.kind === 'facts' ? outcome.facts.map((f) => f.key) : []);
    if (seen.has(d.body)) continue;
    seen.add(d.body);
    batch.push({ file: WEBHOOK_SOURCE, lineNo: 0, raw: d.body, outcome });
    if (batch.length >= 500) {
      await recordLines(engine, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await recordLines(engine, batch);
  const facts = new Map<string, string>();
  const pairs = new Map<string, Pair>();
  let lastAt = 0;
  let firstAt = Number.POSITIVE_INFINITY;
  for (let page = await engine.store.readAll(0, 5000); page.length > 0; ) {
    for (const { fact } of page) {
      facts.set(fact.key, factContent(fact));
      lastAt = Math.max(lastAt, fact.at);
      firstAt = Math.min(firstAt, fact.at);
      if (!isBusinessFact(fact)) pairs.set(`${fact.pair.business}/${fact.pair.user}`, fact.pair);
    }
    page = await engine.store.readAll(page.at(-1)?.position ?? 0, 5000);
  }
  return {
    facts,
    pairs: [...pairs.values()],
    firstAt,
    lastAt,
    keysOf: (index) => keys[index] ?? [],
    body: async (pair, at) => JSON.stringify(await engine.callPermissions(pair, at)),
  };
}

/** The query path of Meta's GET for a pair at an instant (`user_wa_id` for a phone number, else `recipient`). */
export function permissionsPath(pair: Pair, at: Instant): string {
  const who = /^\d+$/.test(pair.user)
    ? `user_wa_id=${pair.user}`
    : `recipient=${encodeURIComponent(pair.user)}`;
  return `/v1/${pair.business}/call_permissions?${who}&at=${at}`;
}

/** The instants the answers are compared at: the middle of the history, and just after its end. */
export function comparedInstants(reference: Reference): Instant[] {
  return [Math.floor((reference.firstAt + reference.lastAt) / 2), reference.lastAt + 60];
}

/**
 * Asks `baseUrl` for every pair's GET body at each instant and compares the JSON text with the reference's:
 * the number that differ (or failed) and the first few, with both texts.
 */
export async function compareAnswers(
  baseUrl: string,
  reference: Reference,
  instants: readonly Instant[],
): Promise<{ compared: number; differing: number; examples: string[] }> {
  let compared = 0;
  let differing = 0;
  const examples: string[] = [];
  await concurrently(reference.pairs, 8, async (pair) => {
    for (const at of instants) {
      compared++;
      const [expected, answer] = await Promise.all([
        reference.body(pair, at),
        call(baseUrl, permissionsPath(pair, at)),
      ]);
      const text = answer.status === 200 ? answer.text : `status ${answer.status}`;
      if (text === expected) continue;
      differing++;
      if (examples.length < 3)
        examples.push(`${permissionsPath(pair, at)}: expected ${expected}, got ${text}`);
    }
  });
  return { compared, differing, examples };
}
