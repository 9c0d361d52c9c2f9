// Webhook subscriptions to the change feed: `POST /v1/subscriptions` makes one (its URL, secret, and
// optionally the businesses and kinds it wants), `GET` lists them with their delivery state (paused ones
// included), `DELETE …/{id}` removes one, `POST …/{id}/resume` starts a paused one again. A token limited to
// some businesses makes subscriptions for its own businesses only, and sees and changes only those.
import { randomUUID } from 'node:crypto';
import { type Subscription, SubscriptionExists, type SubscriptionSpec } from '@callpermit/store';
import type { Context } from 'hono';
import { forbidden } from '../auth.js';
import type { AppEnv, Parts } from '../context.js';
import { errorResponse, GraphCode, invalidParameter } from '../errors.js';
import { subscriptionOnWire } from '../feed/wire.js';

/** What `POST /v1/subscriptions` takes (validated by the route's schema). */
export interface SubscriptionBody {
  readonly id?: string | undefined;
  readonly url: string;
  readonly secret: string;
  readonly business?: string | readonly string[] | undefined;
  readonly kinds?: readonly string[] | undefined;
  readonly after?: number | undefined;
}

/** The body (or a subscriptions file entry) as the store keeps it. */
export function subscriptionSpec(body: SubscriptionBody): SubscriptionSpec {
  const businesses = body.business === undefined ? null : [body.business].flat();
  return {
    id: body.id ?? randomUUID(),
    url: body.url,
    secret: body.secret,
    businesses,
    kinds: body.kinds ?? null,
    ...(body.after === undefined ? {} : { after: body.after }),
  };
}

/** Whether the caller may see and change this subscription: an unlimited token, or one holding all its businesses. */
function mayManage(c: Context<AppEnv>, s: Pick<Subscription, 'businesses'>): boolean {
  const scope = c.get('caller')?.businesses;
  return scope === undefined || s.businesses?.every((b) => scope.has(b)) === true;
}

const notFound = (c: Context<AppEnv>, id: string) =>
  errorResponse(c, 404, GraphCode.invalidParameter, `(#100) No subscription ${JSON.stringify(id)}`);

export async function createSubscription(
  c: Context<AppEnv>,
  parts: Parts,
  body: SubscriptionBody,
): Promise<Response> {
  const spec = subscriptionSpec(body);
  if (!mayManage(c, spec)) return forbidden(c);
  try {
    const made = await parts.subscriptions.create(spec);
    parts.log.info({ subscription: made.id, url_host: new URL(made.url).host }, 'subscription made');
    return c.json(subscriptionOnWire(made), 201);
  } catch (error) {
    if (error instanceof SubscriptionExists) return invalidParameter(c, error.message);
    throw error;
  }
}

export async function listSubscriptions(c: Context<AppEnv>, parts: Parts): Promise<Response> {
  const all = await parts.subscriptions.list();
  return c.json({ data: all.filter((s) => mayManage(c, s)).map(subscriptionOnWire) }, 200);
}

export async function deleteSubscription(c: Context<AppEnv>, parts: Parts, id: string): Promise<Response> {
  const held = await parts.subscriptions.get(id);
  if (held === undefined || !mayManage(c, held)) return notFound(c, id);
  await parts.subscriptions.remove(id);
  return c.body(null, 204);
}

export async function resumeSubscription(c: Context<AppEnv>, parts: Parts, id: string): Promise<Response> {
  const held = await parts.subscriptions.get(id);
  if (held === undefined || !mayManage(c, held)) return notFound(c, id);
  const resumed = await parts.subscriptions.resume(id, parts.now());
  return resumed === undefined ? notFound(c, id) : c.json(subscriptionOnWire(resumed), 200);
}
