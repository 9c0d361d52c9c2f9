// How a subscriber knows a delivery comes from callpermit: `X-Callpermit-Signature: t=<unix seconds>,v1=<hex>`,
// the HMAC-SHA256 under the subscription's secret of the timestamp, a dot and the raw body. The timestamp is
// signed too, so a captured delivery cannot be replayed later with a fresh one (the subscriber refuses old
// timestamps). docs/changes.md shows the five lines a subscriber needs.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-callpermit-signature';

/** The signature header's value for `body` sent at `timestamp` (Unix seconds). */
export function deliverySignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Whether `header` signs `body` under `secret`, at a timestamp within `toleranceSeconds` of `now`: what a
 * subscriber checks (the tests' subscriber uses it).
 */
export function verifyDeliverySignature(
  secret: string,
  header: string | undefined | null,
  body: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  const fresh = Math.abs(now - Number(match[1])) <= toleranceSeconds;
  return fresh && timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex'));
}
