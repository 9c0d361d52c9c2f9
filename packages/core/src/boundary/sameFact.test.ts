// Same key, same fact? Content decides, not the source, and not how the JSON was written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../domain/facts.js';
import { factHistoryArb } from '../test/arbitraries.js';
import { sameFact } from './sameFact.js';

/** The fact as a store hands it back: through JSON, its properties in another order. */
function roundTrip(fact: Fact): Fact {
  const json = JSON.parse(JSON.stringify(fact)) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(json).reverse()) as unknown as Fact;
}

describe('sameFact', () => {
  it('a fact is the same after JSON, in any key order, from any source, with undefined properties dropped', () => {
    fc.assert(
      fc.property(
        factHistoryArb({ minLength: 1, maxLength: 1, callbackChanges: true }),
        fc.string(),
        ([f], ref) => {
          const fact = f as Fact;
          const again = { ...roundTrip(fact), source: { kind: 'webhook', ref } } as Fact;
          expect(sameFact(fact, again)).toBe(true);
          expect(sameFact(fact, { ...fact, expiresAt: undefined } as unknown as Fact)).toBe(
            !('expiresAt' in fact),
          );
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('any other difference makes two facts differ: a field changed, added or removed, nested lists included', () => {
    fc.assert(
      fc.property(factHistoryArb({ minLength: 2, maxLength: 2, callbackChanges: true }), ([a, b]) => {
        const x = a as Fact;
        const y = { ...(b as Fact), key: x.key, source: x.source } as Fact;
        const equalJson =
          JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
        expect(sameFact(x, y)).toBe(equalJson);
      }),
      { seed: 4243, numRuns: 300 },
    );
    const observed = {
      type: 'PermissionObserved',
      status: 'temporary',
      usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 1 }],
    } as unknown as Fact;
    const more = {
      ...observed,
      usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 2 }],
    };
    expect(sameFact(observed, more as Fact)).toBe(false);
    expect(sameFact(observed, { ...observed, usage: [] } as Fact)).toBe(false);
    expect(sameFact(observed, { ...observed, extra: 1 } as unknown as Fact)).toBe(false);
    expect(sameFact({ ...observed, extra: 1 } as unknown as Fact, observed)).toBe(false);
  });
});
