// The run-time shape of a fact: what `Engine.ingest` and `StreamingReplay.add` check before a fact is stored or
// folded, since embedders build facts themselves. Plain code, checked field by field, in the order a reader of
// the fact would look: what it is, when, its key, where it came from, whom it is about, then its own fields.
import type { FactType } from './facts.js';
import {
  businessIdProblem,
  MAX_ID_LENGTH,
  MAX_KEY_LENGTH,
  MAX_REF_LENGTH,
  pairProblem,
  textProblem,
} from './identity.js';
import { instantProblem } from './instant.js';
import { type InputProblem, shown } from './invalidInput.js';

type Check = (value: unknown) => string | undefined;

interface FieldRule {
  readonly name: string;
  readonly check: Check;
  readonly optional?: true;
}

function oneOf(...values: readonly string[]): Check {
  return (value) =>
    typeof value === 'string' && values.includes(value)
      ? undefined
      : value === undefined
        ? 'missing'
        : `${shown(value)} is not one of ${values.join(', ')}`;
}

const id: Check = (value) => textProblem(value, MAX_ID_LENGTH);

const flag: Check = (value) =>
  typeof value === 'boolean'
    ? undefined
    : value === undefined
      ? 'missing'
      : `${shown(value)} is not a boolean`;

function wholeNumber(min: number): Check {
  return (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min
      ? undefined
      : value === undefined
        ? 'missing'
        : `${shown(value)} is not a whole number${min > 0 ? ' above 0' : ' of 0 or more'}`;
}

/** Meta reports a handful of limits (two actions, one or two windows each). */
const MAX_USAGE_ENTRIES = 32;
const USAGE_RULES: readonly FieldRule[] = [
  { name: 'action', check: oneOf('send_call_permission_request', 'start_call') },
  { name: 'periodSeconds', check: wholeNumber(1) },
  { name: 'maxAllowed', check: wholeNumber(0) },
  { name: 'currentUsage', check: wholeNumber(0) },
];

function usageProblem(value: unknown, field: string): InputProblem | undefined {
  if (!Array.isArray(value)) return { field, reason: `${shown(value)} is not a list of limits` };
  if (value.length > MAX_USAGE_ENTRIES)
    return { field, reason: `${value.length} limits, more than ${MAX_USAGE_ENTRIES}` };
  for (let i = 0; i < value.length; i++) {
    const problem = recordProblem(value[i], USAGE_RULES, `${field}[${i}]`, 'a limit');
    if (problem !== undefined) return problem;
  }
  return undefined;
}

const requestId: FieldRule = { name: 'requestId', check: id };
const callId: FieldRule = { name: 'callId', check: id };

/** Each fact type's own fields (beyond type, at, key, source and pair or business). */
const OWN_FIELDS: Record<FactType, readonly FieldRule[]> = {
  RequestSent: [
    requestId,
    { name: 'channel', check: oneOf('free_form', 'template', 'unknown') },
    { name: 'tentative', check: flag },
  ],
  RequestDelivered: [requestId],
  RequestRead: [requestId],
  RequestFailed: [requestId, { name: 'errorCode', check: wholeNumber(0), optional: true }],
  PermissionGranted: [
    { name: 'permanent', check: flag },
    { name: 'expiresAt', check: instantProblem, optional: true },
    { name: 'via', check: oneOf('request', 'profile', 'callback') },
    { ...requestId, optional: true },
    { ...callId, optional: true },
  ],
  PermissionDeclined: [requestId],
  PermissionRevoked: [{ name: 'by', check: oneOf('user', 'automatic') }],
  CallConnected: [
    callId,
    { name: 'direction', check: oneOf('business_initiated', 'user_initiated') },
    { name: 'evidence', check: oneOf('start_time', 'accepted') },
  ],
  CallUnanswered: [callId],
  CallRejected: [callId],
  CallAttempted: [callId],
  UserMessaged: [{ name: 'messageId', check: id }],
  UserCalled: [callId],
  PermissionObserved: [
    { name: 'status', check: oneOf('no_permission', 'temporary', 'permanent') },
    { name: 'expiresAt', check: instantProblem, optional: true },
    // Checked element by element in factProblem, to name the entry.
    { name: 'usage', check: () => undefined, optional: true },
  ],
  CallbackSettingChanged: [{ name: 'enabled', check: flag }],
  TemplateKnown: [
    { name: 'name', check: id },
    { name: 'language', check: id, optional: true },
  ],
};

const SOURCE_RULES: readonly FieldRule[] = [
  { name: 'kind', check: oneOf('webhook', 'api_call', 'command', 'observation', 'test') },
  { name: 'ref', check: (value) => textProblem(value, MAX_REF_LENGTH, true) },
];

/** Why a value is not a fact's `source` ({ kind, ref }), named under `source`; undefined when it is one. */
export function sourceProblem(value: unknown): InputProblem | undefined {
  return recordProblem(value, SOURCE_RULES, 'source', 'a source');
}

/** The fields every fact has, before its owner (pair or business) and its own. */
const COMMON_FIELDS = 4; // type, at, key, source

/**
 * Why a value is not a fact core can store and fold, or undefined when it is one: its type, a plausible
 * instant in Unix seconds (milliseconds are refused), a key, a source, the pair (or business) it is about,
 * and each of its type's own fields. A property no fact of its type has is refused too: the log keeps facts
 * as given, and same-key facts are compared whole. Properties set to `undefined` count as absent.
 */
export function factProblem(value: unknown): InputProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', reason: `${shown(value)} is not a fact` };
  const fact = value as Record<string, unknown>;
  const type = fact.type;
  if (typeof type !== 'string' || !Object.hasOwn(OWN_FIELDS, type))
    return { field: 'type', reason: `${shown(type)} is not a fact type` };
  const at = instantProblem(fact.at);
  if (at !== undefined) return { field: 'at', reason: at };
  const key = textProblem(fact.key, MAX_KEY_LENGTH);
  if (key !== undefined) return { field: 'key', reason: key };
  const source = sourceProblem(fact.source);
  if (source !== undefined) return source;
  let expected = COMMON_FIELDS + 1;
  if (type === 'CallbackSettingChanged' || type === 'TemplateKnown') {
    const business = businessIdProblem(fact.business);
    if (business !== undefined) return { field: 'business', reason: business };
  } else {
    const pair = pairProblem(fact.pair);
    if (pair !== undefined) return pair;
    if (!onlyChecked(fact.pair as object, 2))
      return unknownField(fact.pair as object, ['business', 'user'], 'pair', 'a pair');
  }
  const rules = OWN_FIELDS[type as FactType];
  for (const rule of rules) {
    const v = fact[rule.name];
    if (v === undefined && rule.optional) continue;
    expected++;
    const reason = rule.check(v);
    if (reason !== undefined) return { field: rule.name, reason };
  }
  if (type === 'PermissionObserved' && fact.usage !== undefined) {
    const usage = usageProblem(fact.usage, 'usage');
    if (usage !== undefined) return usage;
  }
  if (!onlyChecked(fact, expected)) {
    const owner = type === 'CallbackSettingChanged' || type === 'TemplateKnown' ? 'business' : 'pair';
    const known = ['type', 'at', 'key', 'source', owner, ...rules.map((r) => r.name)];
    return unknownField(fact, known, '', type);
  }
  return undefined;
}

/** The problem of an object checked field by field against `rules`, named under `field`; unknown keys too. */
function recordProblem(
  value: unknown,
  rules: readonly FieldRule[],
  field: string,
  what: string,
): InputProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field, reason: value === undefined ? 'missing' : `${shown(value)} is not an object` };
  const record = value as Record<string, unknown>;
  let expected = 0;
  for (const rule of rules) {
    const v = record[rule.name];
    if (v === undefined && rule.optional) continue;
    expected++;
    const reason = rule.check(v);
    if (reason !== undefined) return { field: `${field}.${rule.name}`, reason };
  }
  if (!onlyChecked(record, expected))
    return unknownField(
      record,
      rules.map((r) => r.name),
      field,
      what,
    );
  return undefined;
}

/**
 * Whether a record has no properties but the `expected` ones checked (properties set to undefined aside).
 * Its keys are those plus any set to undefined plus any unknown, so an equal count settles it at once.
 */
function onlyChecked(record: object, expected: number): boolean {
  const keys = Object.keys(record);
  if (keys.length === expected) return true;
  let defined = 0;
  for (const key of keys) if ((record as Record<string, unknown>)[key] !== undefined) defined++;
  return defined === expected;
}

function unknownField(record: object, known: readonly string[], parent: string, what: string): InputProblem {
  for (const key of Object.keys(record)) {
    if (!known.includes(key) && (record as Record<string, unknown>)[key] !== undefined)
      return {
        field: parent === '' ? key : `${parent}.${key}`,
        reason: `not a field of ${what} (${known.join(', ')})`,
      };
  }
  return { field: parent, reason: `fields ${what} does not have` };
}
