// The run-time shape of a fact: what `Engine.ingest` and `StreamingReplay.add` check before a fact is stored or
// folded, since embedders build facts themselves. Plain code, checked field by field, in the order a reader of
// the fact would look: what it is, when, its key, where it came from, whom it is about, then its own fields.
import { type Fact, type FactType, isBusinessFact } from '../domain/facts.js';
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

/** Why a field's value is wrong: a reason (for the field itself), a problem deeper inside it, or undefined. */
type Check = (value: unknown, field: string) => string | InputProblem | undefined;

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

/** A GET response's limits: a short list, each entry checked and named (`usage[1].action`). */
const usage: Check = (value, field) => {
  if (!Array.isArray(value)) return `${shown(value)} is not a list of limits`;
  if (value.length > MAX_USAGE_ENTRIES) return `${value.length} limits, more than ${MAX_USAGE_ENTRIES}`;
  for (let i = 0; i < value.length; i++) {
    const problem = recordProblem(value[i], USAGE_RULES, `${field}[${i}]`, 'a limit');
    if (problem !== undefined) return problem;
  }
  return undefined;
};

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
    { name: 'usage', check: usage, optional: true },
  ],
  CallbackSettingChanged: [{ name: 'enabled', check: flag }],
  CallingSettingChanged: [{ name: 'enabled', check: flag }],
  TemplateKnown: [
    { name: 'name', check: id },
    { name: 'language', check: id, optional: true },
  ],
};

const SOURCE_RULES: readonly FieldRule[] = [
  { name: 'kind', check: oneOf('webhook', 'api_call', 'command', 'observation', 'test') },
  { name: 'ref', check: (value) => textProblem(value, MAX_REF_LENGTH, true) },
];

/** The pair's fields are checked by pairProblem; these only say which fields a pair has. */
const PAIR_RULES: readonly FieldRule[] = [
  { name: 'business', check: () => undefined },
  { name: 'user', check: () => undefined },
];

const source: FieldRule = { name: 'source', check: (value) => sourceProblem(value) };
const pair: FieldRule = {
  name: 'pair',
  check: (value, field) => pairProblem(value, field) ?? recordProblem(value, PAIR_RULES, field, 'a pair'),
};
const business: FieldRule = { name: 'business', check: businessIdProblem };

/**
 * Every field of each fact type, in the order a reader looks: what it is, when, its key, where it came from,
 * whom it is about, then its own fields.
 */
const FACT_RULES = Object.fromEntries(
  Object.entries(OWN_FIELDS).map(([type, own]) => {
    const owner = isBusinessFact({ type } as Fact) ? business : pair;
    const common: FieldRule[] = [
      { name: 'at', check: instantProblem },
      { name: 'key', check: (value) => textProblem(value, MAX_KEY_LENGTH) },
      source,
      owner,
    ];
    return [type, [{ name: 'type', check: () => undefined }, ...common, ...own]];
  }),
) as unknown as Record<FactType, readonly FieldRule[]>;

/** Why a value is not a fact's `source` ({ kind, ref }), named under `source`; undefined when it is one. */
export function sourceProblem(value: unknown): InputProblem | undefined {
  return recordProblem(value, SOURCE_RULES, 'source', 'a source');
}

/**
 * Why a value is not a fact core can store and fold, or undefined when it is one: its type, a plausible
 * instant in Unix seconds (milliseconds are refused), a key, a source, the pair (or business) it is about,
 * and each of its type's own fields. A property no fact of its type has is refused too: the log keeps facts
 * as given, and same-key facts are compared whole. Properties set to `undefined` count as absent.
 */
export function factProblem(value: unknown): InputProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', reason: `${shown(value)} is not a fact` };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(FACT_RULES, type))
    return { field: 'type', reason: `${shown(type)} is not a fact type` };
  return recordProblem(value, FACT_RULES[type as FactType], '', type);
}

/**
 * The first problem of a record checked field by field against `rules`, fields named under `field`; then a
 * property none of the rules names (`what` says what the record is, for the message).
 */
function recordProblem(
  value: unknown,
  rules: readonly FieldRule[],
  field: string,
  what: string,
): InputProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field, reason: value === undefined ? 'missing' : `${shown(value)} is not an object` };
  const record = value as Record<string, unknown>;
  let checked = 0;
  for (const rule of rules) {
    const v = record[rule.name];
    if (v === undefined && rule.optional) continue;
    checked++;
    const name = field === '' ? rule.name : `${field}.${rule.name}`;
    const problem = rule.check(v, name);
    if (typeof problem === 'string') return { field: name, reason: problem };
    if (problem !== undefined) return problem;
  }
  if (onlyChecked(record, checked)) return undefined;
  return unknownField(
    record,
    rules.map((r) => r.name),
    field,
    what,
  );
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
