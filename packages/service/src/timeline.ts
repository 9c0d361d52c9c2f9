// A pair's timeline page from a store: the one code path `callpermit timeline --db/--database-url` and the HTTP
// service's `GET /v1/{phone_number_id}/timeline` share. The refusals a store knows are the refused Graph
// exchanges its inbox keeps verbatim: those Meta answered with an error, and those the guard refused itself.
import { refusedCall } from '@callpermit/cloud-api';
import { businessStreamId, type Engine, type Instant, type Pair, type PolicyBook } from '@callpermit/core';
import { SqlStore } from '@callpermit/store';
import { buildTimeline, type RefusalMark, type TimelineModel, timelinePage } from '@callpermit/timeline';

/**
 * The refused permission requests and call starts of `pair` kept in a store's inbox (lines counted as ignored:
 * the translator makes no fact of a refused exchange). The database picks the ignored bodies that name an
 * `api_call` and the pair's business (its path holds the id verbatim; a user's number may be written with spaces
 * or a `+`, so the pair is matched here, after parsing).
 */
export async function refusalsInInbox(store: SqlStore, pair: Pair): Promise<RefusalMark[]> {
  const templates = new Set<string>();
  for (const f of await store.factsOf(businessStreamId(pair.business)))
    if (f.type === 'TemplateKnown') templates.add(f.name);
  const marks: RefusalMark[] = [];
  for await (const entry of store.inbox.iterate({
    outcome: 'ignored',
    containing: ['api_call', pair.business],
  })) {
    let json: unknown;
    try {
      json = JSON.parse(entry.body);
    } catch {
      continue;
    }
    const refused = refusedCall(json, templates);
    if (refused && refused.pair.business === pair.business && refused.pair.user === pair.user)
      marks.push({
        at: refused.at,
        action: refused.action,
        code: refused.code,
        title: refused.message,
        source: `${entry.source.file}${entry.source.line === undefined ? '' : `:${entry.source.line}`}`,
      });
  }
  return marks;
}

export interface StoreTimelineOptions {
  readonly policy: PolicyBook;
  readonly since?: Instant;
  readonly until?: Instant;
  readonly title?: string;
  /** The current instant: the page of a pair nothing is known of shows the week before it. */
  readonly now?: Instant;
}

/**
 * The timeline of `pair` from the engine's store, and its page: refusals from the inbox when the store keeps
 * one (a SqlStore), none over a plain FactStore.
 */
export async function storeTimeline(
  engine: Engine,
  pair: Pair,
  options: StoreTimelineOptions,
): Promise<{ model: TimelineModel; html: string }> {
  const refusals = engine.store instanceof SqlStore ? await refusalsInInbox(engine.store, pair) : [];
  const model = await buildTimeline({
    engine,
    pair,
    policy: options.policy,
    refusals,
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const title = options.title ?? `${pair.business} / ${pair.user}`;
  return { model, html: timelinePage(model, `callpermit timeline: ${title}`) };
}
