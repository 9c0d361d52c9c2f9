// Change ids: the same change (pair, kind, subject, instant, cause) gets the same id in every replay and on
// every store, so a subscriber that sees a change twice (at-least-once delivery) recognises it. Core draws
// nothing random and has no crypto: the id is a pure 106-bit hash, two 53-bit halves of cyrb53 (a public-domain
// string hash) under two seeds, written as 28 hex digits.

/** cyrb53 of `text` under `seed`: a 53-bit integer. */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const hex14 = (n: number) => n.toString(16).padStart(14, '0');

/** A 106-bit hash of `parts`, as `chg_` and 28 hex digits. The parts are joined unambiguously (as JSON). */
export function hashId(parts: readonly (string | number)[]): string {
  const text = JSON.stringify(parts);
  return `chg_${hex14(cyrb53(text, 1))}${hex14(cyrb53(text, 2))}`;
}
