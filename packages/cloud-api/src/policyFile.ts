// The policy file: Meta's numbers as JSON (snake_case), any subset, with eras and per-business overrides →
// core's PolicyBook. See docs/policy.md.
import {
  durationSeconds,
  type PolicyBook,
  type PolicyEra,
  type PolicyOverride,
  policyBook,
} from '@callpermit/core';
import { z } from 'zod';
import { instantOrReason } from './instant.js';
import { instant } from './wire.js';
import { parse, WireRefusal } from './wireRefusal.js';

/** The policy file is wrong at `path` (a JSON path, '' for the whole file) for `reason`. */
export class PolicyFileError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(path === '' ? `policy file: ${reason}` : `policy file: ${path}: ${reason}`);
    this.name = 'PolicyFileError';
    this.path = path;
    this.reason = reason;
  }
}

const positiveInt = z.number().int().positive();

const windowLimit = z.strictObject({
  time_period: z.string().transform((text, ctx) => {
    const periodSeconds = durationSeconds(text);
    if (periodSeconds === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(text)} is not an ISO-8601 duration (PT24H, P7D)`,
      });
      return z.NEVER;
    }
    return periodSeconds;
  }),
  max_allowed: z.number().int().nonnegative(),
});

const settings = {
  temporary_grant_seconds: positiveInt.optional(),
  request_limits: z.array(windowLimit).optional(),
  connected_call_limits: z.array(windowLimit).optional(),
  unanswered_reconsider_at: positiveInt.optional(),
  unanswered_revoke_at: positiveInt.optional(),
  request_expiry_seconds: positiveInt.optional(),
  customer_service_window_seconds: positiveInt.optional(),
  call_attempt_hold_seconds: z.number().int().nonnegative().optional(),
  request_history_seconds: z.number().int().positive().optional(),
};

const effectiveFrom = instant.transform((value, ctx) => {
  const result = instantOrReason(value);
  if (typeof result === 'number') return result;
  ctx.addIssue({ code: 'custom', message: result });
  return z.NEVER;
});
const era = z.strictObject({ effective_from: effectiveFrom, ...settings });
const business = z.strictObject({ ...settings, eras: z.array(era).optional() });
const policyFile = z.strictObject({
  ...settings,
  eras: z.array(era).optional(),
  businesses: z.record(z.string().min(1), business).optional(),
});

type Settings = z.output<z.ZodObject<typeof settings>>;

/** snake_case settings → core's camelCase override, with only the keys the file set. */
function override(s: Settings): PolicyOverride {
  const limits = (list: { time_period: number; max_allowed: number }[] | undefined) =>
    list?.map((l) => ({ periodSeconds: l.time_period, maxAllowed: l.max_allowed }));
  const entries: [keyof PolicyOverride, unknown][] = [
    ['temporaryGrantSeconds', s.temporary_grant_seconds],
    ['requestLimits', limits(s.request_limits)],
    ['connectedCallLimits', limits(s.connected_call_limits)],
    ['unansweredReconsiderAt', s.unanswered_reconsider_at],
    ['unansweredRevokeAt', s.unanswered_revoke_at],
    ['requestExpirySeconds', s.request_expiry_seconds],
    ['customerServiceWindowSeconds', s.customer_service_window_seconds],
    ['callAttemptHoldSeconds', s.call_attempt_hold_seconds],
    ['requestHistorySeconds', s.request_history_seconds],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as PolicyOverride;
}

/** Before any fact: a business's own base values hold from the start of time. */
const ALWAYS = Number.MIN_SAFE_INTEGER;

/**
 * The policy file → a PolicyBook. A business's values beat the global ones at every instant (a sandbox number
 * keeps its relaxed limits through a global era); within each level, later eras beat earlier ones. Core applies
 * eras purely by instant (global before business at the same instant), so each business gets an era at every
 * instant where a global or its own era starts, restating its own values in force there.
 * Throws PolicyFileError naming the offending path.
 */
export function parsePolicyFile(json: unknown): PolicyBook {
  let file: z.output<typeof policyFile>;
  try {
    file = parse(policyFile, json, '');
  } catch (error) {
    if (error instanceof WireRefusal) throw new PolicyFileError(error.path, error.reason);
    throw error;
  }
  const eras: PolicyEra[] = (file.eras ?? []).map((e) => ({ from: e.effective_from, override: override(e) }));
  const globalStarts = eras.map((e) => e.from);
  for (const [id, own] of Object.entries(file.businesses ?? {})) {
    const ownEras = [...(own.eras ?? [])].sort((a, b) => a.effective_from - b.effective_from);
    const starts = [...new Set([ALWAYS, ...globalStarts, ...ownEras.map((e) => e.effective_from)])];
    for (const from of starts.sort((a, b) => a - b)) {
      let values = override(own);
      for (const e of ownEras) if (e.effective_from <= from) values = { ...values, ...override(e) };
      if (Object.keys(values).length > 0) eras.push({ from, business: id, override: values });
    }
  }
  return policyBook(override(file), eras);
}
