// fast-check arbitraries of inputs that cannot be meant: a valid fact or command with one field broken (a
// wrong type, a wrong unit, a wrong shape, missing, or a field it does not have), with the path of that
// field. Property tests state that the entry points refuse each with exactly that field and store nothing.
import fc from 'fast-check';
import { PLAUSIBLE_INSTANTS } from '../boundary/instant.js';
import type { Command } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { callbackChangeArb, pairArb, pairFactArb } from './arbitraries.js';
import { facts, T0 } from './builders.js';

/** A broken input and the field an entry point must name. */
export interface Malformed<T> {
  readonly value: T;
  readonly field: string;
}

const { from, until } = PLAUSIBLE_INSTANTS;

/** Values of the wrong type for anything: no field of a fact or command may be one of these. */
const wrongThing = fc.constantFrom<unknown>(null, [], {}, Symbol.for('x'), () => 0);

/** Numbers that are not a plausible instant in Unix seconds, milliseconds first (the common slip). */
export const badSeconds: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: from * 1000, max: until * 1000 - 1 }),
  fc.integer({ min: from, max: until - 1 }).map((s) => s + 0.5),
  fc.integer({ min: -1e9, max: from - 1 }),
  fc.integer({ min: until, max: 1e18 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0.5, 1e21),
);

/** An instant argument that cannot be meant: bad numbers, text, an invalid Date, anything else. */
export const badInstantArg: fc.Arbitrary<unknown> = fc.oneof(
  badSeconds,
  fc.constantFrom('2026-01-01T12:00:00Z', '1767268800', '', 'now'),
  fc.constant(new Date(Number.NaN)),
  fc.integer({ min: until * 1000, max: until * 1000 + 1e9 }).map((ms) => new Date(ms)),
  fc.constantFrom<unknown>(true, 1767268800n),
  wrongThing,
);

/** A fact's `at`: a Date is bad here too (facts are stored as given, in seconds). */
const badFactInstant = fc.oneof(badInstantArg, fc.constant(new Date(T0 * 1000)));

const controlCharacter = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const brokenText = fc.oneof(
  fc.tuple(fc.string({ maxLength: 8 }), controlCharacter, fc.string({ maxLength: 8 })).map((p) => p.join('')),
  fc.constantFrom('\ud800', 'a\udc00b', 'x\u007f', '\u0085'),
);

function badText(max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(''),
    brokenText,
    fc.integer({ min: max + 1, max: max + 64 }).map((n) => 'x'.repeat(n)),
    fc.integer(),
    wrongThing,
  );
}

const badRef = fc.oneof(brokenText, fc.constant('r'.repeat(4097)), fc.integer(), wrongThing);

/** Never one of the words core knows: those are lower-case letters and '_' (or a capitalised type name). */
const badWord = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => `?${s}`),
  fc.constantFrom('', 'sms', 'TEMPLATE', ' template', 'Call', 'startCall', 'ACCEPTED'),
  fc.integer(),
  wrongThing,
);

const badBoolean = fc.oneof(fc.constantFrom<unknown>('true', 'false', 0, 1), wrongThing);

function badWholeNumber(min: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer({ min: -1000, max: min - 1 }),
    fc.constantFrom(1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60),
    fc.constantFrom('3', true),
    wrongThing,
  );
}

/** Not Meta's phone-number id: punctuation, letters, a number (ids past 2^53 lose digits), too long. */
export const badBusiness: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', '+15550001111', '1555 000 1111', 'b-1', 'me', '１０９８'),
  fc.stringMatching(/^\d{21,30}$/),
  fc.stringMatching(/^\d{3,10}[a-z/.:][0-9a-z]{0,4}$/),
  fc.integer({ min: 1 }),
  wrongThing,
);

/** Neither a wa_id nor a BSUID: a phone number as people write it, a lower-case or empty BSUID, a number. */
export const badUser: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    '+44 7700 900123',
    '+447700900123',
    '(0)7700-900123',
    'us.1349',
    'US.',
    'USA.12',
    'US..1',
  ),
  fc.stringMatching(/^[a-z ]{1,12}$/),
  fc.stringMatching(/^\d{21,30}$/),
  fc.integer({ min: 1 }),
  wrongThing,
);

const badUsage = fc.oneof(fc.constantFrom<unknown>('start_call', 3), fc.constant({}), fc.constant(null));

/** What a field of a fact or command may not hold, by the field's name. */
function badValueFor(field: string): fc.Arbitrary<unknown> {
  const name = field.slice(field.lastIndexOf('.') + 1);
  switch (name) {
    case 'type':
      return badWord;
    case 'at':
    case 'expiresAt':
      return badFactInstant;
    case 'key':
      return badText(1024);
    case 'ref':
      return badRef;
    case 'source':
    case 'pair':
      return fc.oneof(fc.constantFrom<unknown>('x', 7, null, []));
    case 'business':
      return badBusiness;
    case 'user':
      return badUser;
    case 'requestId':
    case 'callId':
    case 'messageId':
    case 'name':
    case 'language':
      return badText(256);
    case 'tentative':
    case 'permanent':
    case 'enabled':
      return badBoolean;
    case 'errorCode':
    case 'maxAllowed':
    case 'currentUsage':
      return badWholeNumber(0);
    case 'periodSeconds':
      return badWholeNumber(1);
    case 'usage':
      return badUsage;
    default:
      // Enumerations: channel, via, by, direction, evidence, status, kind, action.
      return badWord;
  }
}

/** Every field path of a plain value: `pair.user`, `usage[1].action` (the value itself is not a path). */
function paths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push(`${prefix}[${i}]`, ...paths(item, `${prefix}[${i}]`));
    });
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path, ...paths(item, path));
  }
  return out;
}

/** A deep copy of `value` with the field at `path` set to `replacement` (deleted when `remove`). */
function withField(value: object, path: string, replacement: unknown, remove = false): object {
  const copy = structuredClone(value) as Record<string, unknown>;
  const steps = path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s));
  let parent: Record<string | number, unknown> = copy;
  for (const step of steps.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = steps.at(-1) as string | number;
  if (remove) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

/** The fields a fact may do without. */
function optionalField(path: string, fact: Fact): boolean {
  return fact.type === 'PermissionGranted'
    ? ['expiresAt', 'requestId', 'callId'].includes(path)
    : ['expiresAt', 'errorCode', 'usage', 'language'].includes(path);
}

/**
 * A value with one field broken: given a bad value (fields that hold other fields, and usage entries, are
 * broken inside instead), removed when it is required, or joined by a field its kind does not have.
 */
function brokenOne<T extends object>(
  valid: T,
  optional: (path: string, value: T) => boolean,
  knowsExtra: boolean,
): fc.Arbitrary<Malformed<T>> {
  const leaves = paths(valid).filter((p) => !/\[\d+\]$/.test(p));
  const replaced = fc
    .constantFrom(...leaves)
    .chain((path) =>
      badValueFor(path).map((bad) => ({ value: withField(valid, path, bad) as T, field: path })),
    );
  const required = leaves.filter((p) => !p.includes('.') && !p.includes('[') && !optional(p, valid));
  const removed = fc
    .constantFrom(...required)
    .map((path) => ({ value: withField(valid, path, undefined, true) as T, field: path }));
  const arbitraries = [replaced, removed];
  if (knowsExtra) {
    const extra = fc
      .tuple(
        fc.constantFrom('extra', 'note', 'atMs', 'Key', 'business_id'),
        fc.oneof(fc.string(), fc.integer()),
      )
      .map(([name, bad]) => ({ value: { ...valid, [name]: bad } as T, field: name }));
    arbitraries.push(extra);
  }
  return fc.oneof(...arbitraries);
}

/** Meta's GET response with its limits, and a template: fact shapes the history arbitraries do not make. */
const observedWithUsage = fc.constant(
  facts.permissionObserved({
    status: 'temporary',
    expiresAt: T0 + 7 * 86_400,
    usage: [
      { action: 'send_call_permission_request', periodSeconds: 86_400, maxAllowed: 1, currentUsage: 0 },
      { action: 'start_call', periodSeconds: 86_400, maxAllowed: 100, currentUsage: 2 },
    ],
  }),
);
const template = fc.constant(facts.templateKnown({ language: 'en_US' }));

/** A fact of any type (pair or business) with one field broken, and the field. */
export const malformedFactArb: fc.Arbitrary<Malformed<Fact>> = fc
  .oneof(
    { arbitrary: pairFactArb(), weight: 12 },
    { arbitrary: callbackChangeArb(), weight: 1 },
    { arbitrary: observedWithUsage, weight: 2 },
    { arbitrary: template, weight: 1 },
  )
  .chain((fact) => brokenOne<Fact>(fact, optionalField, true));

function printable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** Ids as callers may choose them: any printable text, in any script, emoji included. */
export const printableId: fc.Arbitrary<string> = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => s.length <= 256 && printable(s));

/** A well-formed command: a pair, and ids of any printable text (Meta's or the caller's own). */
export function commandArb(
  ids: fc.Arbitrary<string> = fc.string({ minLength: 1, maxLength: 40 }),
): fc.Arbitrary<Command> {
  return fc.oneof(
    fc
      .record({
        pair: pairArb,
        requestId: ids,
        channel: fc.constantFrom('free_form' as const, 'template' as const),
      })
      .map((c): Command => ({ type: 'SendPermissionRequest', ...c })),
    fc.record({ pair: pairArb, callId: ids }).map((c): Command => ({ type: 'StartCall', ...c })),
  );
}

/** A command with one field broken (commands ignore fields they do not have: none is added). */
export const malformedCommandArb: fc.Arbitrary<Malformed<Command>> = commandArb(printableId).chain(
  (command) => brokenOne<Command>(command, () => false, false),
);
