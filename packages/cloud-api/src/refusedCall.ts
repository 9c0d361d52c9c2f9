// A Graph API call Meta refused (non-2xx) changed nothing at Meta, so the translator makes no fact of it; but
// a refused permission request or call is what a person looking at a pair's history wants to see, with
// Meta's error code. This reads one such exchange from a capture line.
import type { Instant, Pair } from '@callpermit/core';
import { z } from 'zod';
import { GRAPH_PATH } from './apiCall.js';
import { apiCallEntry } from './apiCallSchema.js';
import { waId } from './identity.js';
import { instantOrReason } from './instant.js';

/** A business action Meta refused, as its logged Graph exchange shows it. */
export interface RefusedCall {
  readonly at: Instant;
  readonly pair: Pair;
  readonly action: 'send_call_permission_request' | 'start_call';
  /** For a permission request: free-form (interactive) or template. */
  readonly channel?: 'free_form' | 'template';
  /** Meta's `error.code` (138006, 138009, …); 0 when the body carried none. */
  readonly code: number;
  readonly message: string;
}

const recipient = z.object({ to: z.string().optional(), recipient: z.string().optional() });
const sendBody = recipient.extend({
  type: z.string().optional(),
  interactive: z.object({ type: z.string().optional() }).optional(),
  template: z.object({ name: z.string() }).optional(),
});
const callBody = recipient.extend({ action: z.string().optional() });
const errorBody = z.object({
  error: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
});

/**
 * The refused permission request or call a capture line records, if it is one: an `api_call` line with a
 * non-2xx answer to `POST …/messages` (a free-form request, or a template named in `templates`) or to
 * `POST …/calls` with `action: connect`. Anything else, valid or not, is undefined: the translator reports
 * bad lines.
 */
export function refusedCall(line: unknown, templates: ReadonlySet<string>): RefusedCall | undefined {
  if (typeof line !== 'object' || line === null || (line as { kind?: unknown }).kind !== 'api_call')
    return undefined;
  const entry = apiCallEntry.safeParse(line);
  if (!entry.success) return undefined;
  const { request, response } = entry.data;
  if (response.status >= 200 && response.status < 300) return undefined;
  const match = GRAPH_PATH.exec(request.path);
  const at = instantOrReason(entry.data.at);
  if (!match || typeof at !== 'number' || request.method.toUpperCase() !== 'POST') return undefined;
  const [, business = '', edge = ''] = match;
  let action: RefusedCall['action'];
  let channel: RefusedCall['channel'];
  let to: z.infer<typeof recipient>;
  if (edge === 'messages') {
    const body = sendBody.safeParse(request.body);
    if (!body.success) return undefined;
    const isRequest =
      body.data.interactive?.type === 'call_permission_request' ||
      (body.data.type === 'template' && templates.has(body.data.template?.name ?? ''));
    if (!isRequest) return undefined;
    action = 'send_call_permission_request';
    channel = body.data.interactive?.type === 'call_permission_request' ? 'free_form' : 'template';
    to = body.data;
  } else if (edge === 'calls') {
    const body = callBody.safeParse(request.body);
    if (!body.success || body.data.action !== 'connect') return undefined;
    action = 'start_call';
    to = body.data;
  } else return undefined;
  const user = to.to !== undefined ? waId(to.to) : to.recipient;
  if (!user) return undefined;
  const error = errorBody.safeParse(response.body);
  const detail = error.success ? error.data.error : undefined;
  return {
    at,
    pair: { business, user },
    action,
    ...(channel === undefined ? {} : { channel }),
    code: detail?.code ?? 0,
    message: detail?.message ?? `HTTP ${response.status}`,
  };
}
