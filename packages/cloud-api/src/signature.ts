// Meta signs every webhook POST: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the body's raw bytes
// keyed with the app secret (reference §9). Hash the bytes as received: a re-serialised body differs.
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/** The `X-Hub-Signature-256` value Meta sends for `body` under `secret`. */
export function webhookSignature(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` signs `body` under any of `secrets` (several while a secret is rotated). Every secret is
 * tried, and compared in constant time, so the answer's timing says nothing about which one matched or how
 * much of the signature was right.
 */
export function verifyWebhookSignature(
  body: Uint8Array,
  header: string | null | undefined,
  secrets: readonly string[],
): boolean {
  const match = header === null || header === undefined ? null : HEADER.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from((match[1] as string).toLowerCase(), 'hex');
  let valid = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}
