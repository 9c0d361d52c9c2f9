// Identifiers callers send, checked before anything is read or forwarded: digits only, bounded in length
// (400 otherwise). A BSUID (business-scoped user id) is letters, digits and `._-`.
import { z } from '@hono/zod-openapi';

export const phoneNumberId = z
  .string()
  .regex(/^\d{1,32}$/, 'must be a phone number id: digits only, at most 32')
  .openapi({ example: '109876543210987', description: 'The business phone number id' });

export const userWaId = z
  .string()
  .regex(/^\d{1,20}$/, "must be the user's WhatsApp id: digits only, at most 20")
  .openapi({ example: '447700900123' });

export const bsuid = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,128}$/,
    'must be a business-scoped user id: letters, digits and ._- only, at most 128',
  )
  .openapi({ example: 'US.13491208655302741918' });

export const graphVersion = z
  .string()
  .regex(/^v\d+\.\d+$/, 'must be a Graph API version such as v23.0')
  .openapi({ example: 'v23.0' });

/** `at`: ISO-8601 with an offset, or Unix seconds. */
export const instantParam = z.string().max(40).openapi({
  example: '2026-01-01T12:00:00Z',
  description: 'The instant to answer for: ISO-8601 with an offset, or Unix seconds (default: now)',
});
