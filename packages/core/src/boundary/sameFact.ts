import type { Fact } from '../domain/facts.js';

/**
 * Whether two facts (of the same key) say the same thing: equal as JSON values, apart from `source`, which
 * differs between deliveries of one fact (a webhook redelivered, a capture replayed from another file).
 * Properties set to `undefined` count as absent, as in the JSON a store keeps.
 */
export function sameFact(a: Fact, b: Fact): boolean {
  return sameJson(a, b, 'source');
}

function sameJson(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let fields = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key) || x[key] === undefined || key === skip) continue;
    fields++;
    if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
  }
  for (const key in y) {
    if (Object.hasOwn(y, key) && y[key] !== undefined && key !== skip) fields--;
  }
  return fields === 0;
}
