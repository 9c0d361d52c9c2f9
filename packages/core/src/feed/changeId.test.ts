import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashId } from './changeId.js';

/** cyrb53 as published (one seed per pass, the 53-bit value written with toString): what ids were made with. */
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

const published = (parts: readonly (string | number)[]) => {
  const text = JSON.stringify(parts);
  return `chg_${[1, 2].map((seed) => cyrb53(text, seed).toString(16).padStart(14, '0')).join('')}`;
};

describe('change ids', () => {
  it('stay what outboxes already hold: the same parts give the same id in every version', () => {
    expect(hashId([])).toBe('chg_167d269bbddad8166499b59f2b1c');
    // docs/changes.md's example.
    expect(
      hashId(['109876543210987/447700900123', 'permission.revoked', '', 1767690000, 'reply:wamid.R2']),
    ).toBe('chg_0ccd9ff4d48f5d16dcfa683b5d65');
    expect(hashId(['a/b', 'request.sent', 'wamid.HBgM"q\\é☃', -1.5, 'time'])).toBe(
      'chg_164c2044ede4b409cf1c68d051a6',
    );
  });

  it('are cyrb53 under seeds 1 and 2 of the parts as JSON, 14 hex digits each, for any parts', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.integer())), (parts) => {
        const id = hashId(parts);
        expect(id).toMatch(/^chg_[0-9a-f]{28}$/);
        expect(id).toBe(published(parts));
      }),
      { numRuns: 500, seed: 1303 },
    );
  });
});
