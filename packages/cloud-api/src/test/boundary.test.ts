// The Translator at the embedding boundary: it never throws, whatever it is given, and every fact it makes
// is one core's engine accepts (the same rules for instants and ids on both sides).
import { readFileSync } from 'node:fs';
import { factProblem } from '@callpermit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LineOutcome, Translator } from '../index.js';
import { UNEXPECTED } from '../translator.js';
import { messagesWebhook, REQUEST_ID, status, T } from './meta.js';

/** The example capture: webhooks and logged API calls of every kind the README's replay shows. */
const exampleLines = readFileSync(new URL('../../../../examples/capture.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const exampleJson = exampleLines.map((line) => JSON.parse(line) as unknown);

/** Every path inside a JSON value, as lists of keys and indexes. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([key, v]) => [[...prefix, key], ...paths(v, [...prefix, key])]);
}

function replaced(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  parent[path.at(-1) as string | number] = replacement;
  return copy;
}

/** An outcome as the boundary promises it: facts core accepts, or a refusal caused by the input. */
function expectSound(outcome: LineOutcome): void {
  expect(['facts', 'rejected']).toContain(outcome.kind);
  if (outcome.kind === 'rejected') {
    expect(typeof outcome.path).toBe('string');
    expect(outcome.reason.startsWith(UNEXPECTED), outcome.reason).toBe(false);
  } else {
    for (const fact of outcome.facts) expect(factProblem(fact), JSON.stringify(fact)).toBeUndefined();
  }
}

/** One line given to each entry point: as text, and (parsed) as a webhook body and as an API call. */
function translateEveryWay(json: unknown, receivedAt: unknown, ref: unknown): LineOutcome[] {
  const t = new Translator();
  const text = (() => {
    try {
      return JSON.stringify(json) ?? 'undefined';
    } catch {
      return '{"unserialisable": true}';
    }
  })();
  return [
    t.line(text, ref as string),
    t.webhook(json, receivedAt as number, ref as string),
    t.apiCall(json, ref as string),
    t.webhook((json as { payload?: unknown } | null)?.payload, receivedAt as number, ref as string),
  ];
}

describe('the Translator at the boundary', () => {
  it('the example capture translates to facts core accepts, every one', () => {
    const t = new Translator();
    let facts = 0;
    for (const [i, line] of exampleLines.entries()) {
      const outcome = t.line(line, `examples/capture.ndjson:${i + 1}`);
      expectSound(outcome);
      if (outcome.kind === 'facts') facts += outcome.facts.length;
    }
    expect(facts).toBeGreaterThan(10);
  });

  it('never throws, whatever it is given: any value as a body, an API call, a receivedAt or a ref', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (json, receivedAt, ref) => {
        for (const outcome of translateEveryWay(json, receivedAt, ref)) expectSound(outcome);
      }),
      { seed: 171717, numRuns: 500 },
    );
  });

  it('any value of a valid line replaced by anything: a refusal naming a path, or facts core accepts', () => {
    const mutation = fc
      .constantFrom(...exampleJson)
      .chain((json) =>
        fc.tuple(
          fc.constant(json),
          fc.constantFrom(...paths(json)),
          fc.oneof(fc.string(), fc.stringMatching(/^[\d +()-]{1,16}$/), fc.jsonValue(), fc.anything()),
        ),
      );
    const receivedAt = fc.oneof(fc.constant(undefined), fc.constant(T), fc.anything());
    const ref = fc.oneof({ arbitrary: fc.constant('line:1'), weight: 4 }, fc.anything());
    fc.assert(
      fc.property(mutation, receivedAt, ref, ([json, path, value], at, r) => {
        for (const outcome of translateEveryWay(replaced(json, path, value), at, r)) expectSound(outcome);
      }),
      { seed: 171718, numRuns: 2000 },
    );
  });

  it('an input whose reading throws (a getter, a proxy) is refused, not thrown', () => {
    const hostile = {
      object: 'whatsapp_business_account',
      get entry(): unknown {
        throw new Error('no entries for you');
      },
    };
    expect(new Translator().webhook(hostile, T, 'w')).toEqual({
      kind: 'rejected',
      path: '',
      reason: `${UNEXPECTED}no entries for you`,
    });
  });

  it('receivedAt is checked as core checks instants: milliseconds are refused, a Date is taken', () => {
    const body = messagesWebhook({ statuses: [{ ...status(REQUEST_ID, 'sent', T), timestamp: undefined }] });
    expect(new Translator().webhook(body, T * 1000, 'w')).toEqual({
      kind: 'rejected',
      path: 'receivedAt',
      reason: `${T * 1000} looks like milliseconds (Date.now()?): give Unix seconds (Math.floor(ms / 1000)) or a Date`,
    });
    // Text is read as parseInstant reads it (ISO-8601 or digits), as a capture line's received_at is.
    expect(new Translator().webhook(body, '2025-12-31T08:00:00Z' as unknown as number, 'w')).toMatchObject({
      kind: 'facts',
      facts: [{ at: T }],
    });
    expect(new Translator().webhook(body, 'yesterday' as unknown as number, 'w')).toMatchObject({
      kind: 'rejected',
      path: 'receivedAt',
    });
    const taken = new Translator().webhook(body, new Date(T * 1000 + 250), 'w');
    expect(taken).toMatchObject({ kind: 'facts', facts: [{ type: 'RequestSent', at: T }] });
    expect(new Translator().webhook(body, T, 12 as unknown as string)).toMatchObject({
      kind: 'rejected',
      path: 'ref',
    });
  });
});
