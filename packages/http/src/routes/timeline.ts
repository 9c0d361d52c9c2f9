// `GET /v1/{phone_number_id}/timeline?user_wa_id=…[&since=…][&until=…]`: the pair's timeline page, the same
// self-contained HTML `callpermit timeline` writes (the service's storeTimeline builds both).
import { parseInstant } from '@callpermit/cloud-api';
import type { Instant } from '@callpermit/core';
import { storeTimeline } from '@callpermit/service';
import type { Context } from 'hono';
import { forbidden, mayActFor } from '../auth.js';
import type { AppEnv, Parts } from '../context.js';
import { invalidParameter } from '../errors.js';
import { nodeProblem } from '../graphPath.js';
import { queriedPair } from './graph.js';

/** `since` / `until`: ISO-8601 or Unix seconds, when given; a 400 naming the parameter otherwise. */
function bound(c: Context<AppEnv>, name: 'since' | 'until'): Instant | undefined | Response {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  try {
    return parseInstant(/^\d+$/.test(text) ? Number(text) : text);
  } catch (error) {
    return invalidParameter(c, `Param ${name}: ${(error as Error).message}`);
  }
}

export async function timeline(c: Context<AppEnv>, parts: Parts): Promise<Response> {
  const business = c.req.param('phone_number_id') ?? '';
  const problem = nodeProblem(business);
  if (problem !== undefined) return invalidParameter(c, `the phone number id: ${problem}`);
  if (!mayActFor(c, business)) return forbidden(c);
  const pair = queriedPair(c, business);
  if (pair instanceof Response) return pair;
  const since = bound(c, 'since');
  if (since instanceof Response) return since;
  const until = bound(c, 'until');
  if (until instanceof Response) return until;
  if (since !== undefined && until !== undefined && until <= since)
    return invalidParameter(c, 'Param until must be after since');
  const { html } = await storeTimeline(parts.engine, pair, {
    policy: parts.engine.policy,
    now: parts.now(),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  });
  return c.html(html);
}
