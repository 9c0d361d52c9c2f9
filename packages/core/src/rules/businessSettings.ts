// The business number's settings: calling enabled (settings `calling.status`; "Calling not enabled", 138000)
// and the callback setting ("The callback setting must be enabled on the business phone number" for a user's
// call to grant temporary permission). Business-level facts, over time; with the policy they make the rules'
// environment of every pair of the number, built here for the Engine, the StreamingReplay and the simulation.
// Decide: 138000 before any other rule. The callback grant itself is the permission's (permission.ts).
import { ErrorCode, type Refusal, refuse } from '../domain/commands.js';
import { compareFacts } from '../domain/factOrder.js';
import type { BusinessFact, CallbackSettingChanged, CallingSettingChanged } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { type PolicyAt, type PolicyBook, policyFor } from '../policy/policy.js';

/** What the fold and the rules need besides the pair's own facts. */
export interface RuleEnv {
  readonly policyAt: PolicyAt;
  /** Whether the business number had callback permission enabled at an instant (a business-level fact). */
  readonly callbackEnabledAt: (at: Instant) => boolean;
  /**
   * Whether calling was enabled on the business number at an instant (settings `calling.status`); undefined
   * while nothing is known, which the rules read as enabled. Absent: never known.
   */
  readonly callingEnabledAt?: (at: Instant) => boolean | undefined;
}

type SettingFact = CallbackSettingChanged | CallingSettingChanged;

/** The setting in force at `at` among `changes` (in fact order), or `before` when none had happened. */
function settingAt<T>(changes: readonly SettingFact[], at: Instant, before: T): boolean | T {
  let enabled: boolean | T = before;
  for (const c of changes) {
    if (c.at > at) break;
    enabled = c.enabled;
  }
  return enabled;
}

/** Inserts keeping fact order; settings mostly arrive in order, so this is usually a push. */
function insertInOrder(list: SettingFact[], fact: SettingFact): void {
  let i = list.length;
  while (i > 0 && compareFacts(list[i - 1] as SettingFact, fact) > 0) i--;
  list.splice(i, 0, fact);
}

/**
 * One business number's settings over time, and the rules' environment they make with the policy. Callback
 * is off until enabled; calling is unknown (allowed) until a status is known. Facts may be added in any order
 * (`add`): the environment reads the settings on every call, so it answers with every fact added so far.
 */
export class BusinessSettings {
  private readonly callback: SettingFact[] = [];
  private readonly calling: SettingFact[] = [];
  readonly env: RuleEnv;

  constructor(policy: PolicyBook, business: string) {
    this.env = {
      policyAt: policyFor(policy, business),
      callbackEnabledAt: (at) => settingAt(this.callback, at, false),
      callingEnabledAt: (at) => settingAt(this.calling, at, undefined),
    };
  }

  /** Takes a business fact of the number (templates change no rule). */
  add(fact: BusinessFact): void {
    if (fact.type === 'CallbackSettingChanged') insertInOrder(this.callback, fact);
    else if (fact.type === 'CallingSettingChanged') insertInOrder(this.calling, fact);
  }
}

/** The rules' environment of one business number: its policy, and its settings from its business facts. */
export function businessRuleEnv(
  policy: PolicyBook,
  business: string,
  facts: readonly BusinessFact[] = [],
): RuleEnv {
  const settings = new BusinessSettings(policy, business);
  for (const fact of facts) settings.add(fact);
  return settings.env;
}

/**
 * The earliest instant from which these business facts change how the number's pairs fold, if any: a
 * callback setting does (a user's call grants, or not, from then on); calling status and templates change
 * decisions only, which are made at query time.
 */
export function foldChangedFrom(facts: readonly BusinessFact[]): Instant | undefined {
  let from: Instant | undefined;
  for (const f of facts) if (f.type === 'CallbackSettingChanged') from = Math.min(from ?? f.at, f.at);
  return from;
}

/** Calling is off on the business number at `at`: a known DISABLED status, not an unknown one. */
export function callingDisabledAt(env: RuleEnv, at: Instant): boolean {
  return env.callingEnabledAt?.(at) === false;
}

/** "Calling not enabled" (138000): checked before every other rule, for calls and permission requests alike. */
export function callingRefusal(env: RuleEnv, at: Instant): Refusal | undefined {
  if (!callingDisabledAt(env, at)) return undefined;
  return refuse(ErrorCode.callingDisabled, 'Calling is not enabled on this business phone number');
}
