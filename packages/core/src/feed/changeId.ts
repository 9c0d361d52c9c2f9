// Change ids: the same change (pair, kind, subject, instant, cause) gets the same id in every replay and on
// every store, so a subscriber that sees a change twice (at-least-once delivery) recognises it. Core draws
// nothing random and has no crypto: the id is a pure 106-bit hash, two 53-bit halves of cyrb53 (a public-domain
// string hash) under two seeds, written as 28 hex digits. Ids are stored (the outbox compares a rewrite with
// them), so this function must give the same id for the same parts in every version (changeId.test.ts).

/** Two hex digits per byte value. */
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `n` (an unsigned 32-bit integer) as `digits` hex digits (`digits` ≤ 8, `n` < 16^digits). */
function hex(n: number, digits: number): string {
  const eight =
    (BYTE_HEX[n >>> 24] as string) +
    (BYTE_HEX[(n >>> 16) & 255] as string) +
    (BYTE_HEX[(n >>> 8) & 255] as string) +
    (BYTE_HEX[n & 255] as string);
  return digits === 8 ? eight : eight.slice(8 - digits);
}

/**
 * cyrb53 of `text` under seeds 1 and 2 in one pass, each as 14 hex digits: the 53-bit value
 * `2^32 · (h2 & 0x1fffff) + (h1 >>> 0)` is its top 21 bits as 6 digits, then its low 32 bits as 8.
 */
function cyrb53Twice(text: string): string {
  let a1 = 0xdeadbeef ^ 1;
  let a2 = 0x41c6ce57 ^ 1;
  let b1 = 0xdeadbeef ^ 2;
  let b2 = 0x41c6ce57 ^ 2;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a1 = Math.imul(a1 ^ ch, 2654435761);
    a2 = Math.imul(a2 ^ ch, 1597334677);
    b1 = Math.imul(b1 ^ ch, 2654435761);
    b2 = Math.imul(b2 ^ ch, 1597334677);
  }
  a1 = Math.imul(a1 ^ (a1 >>> 16), 2246822507);
  a1 ^= Math.imul(a2 ^ (a2 >>> 13), 3266489909);
  a2 = Math.imul(a2 ^ (a2 >>> 16), 2246822507);
  a2 ^= Math.imul(a1 ^ (a1 >>> 13), 3266489909);
  b1 = Math.imul(b1 ^ (b1 >>> 16), 2246822507);
  b1 ^= Math.imul(b2 ^ (b2 >>> 13), 3266489909);
  b2 = Math.imul(b2 ^ (b2 >>> 16), 2246822507);
  b2 ^= Math.imul(b1 ^ (b1 >>> 13), 3266489909);
  return hex(a2 & 0x1fffff, 6) + hex(a1 >>> 0, 8) + hex(b2 & 0x1fffff, 6) + hex(b1 >>> 0, 8);
}

/** A 106-bit hash of `parts`, as `chg_` and 28 hex digits. The parts are joined unambiguously (as JSON). */
export function hashId(parts: readonly (string | number)[]): string {
  return `chg_${cyrb53Twice(JSON.stringify(parts))}`;
}
