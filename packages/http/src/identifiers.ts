// Identifiers callers send, checked before anything is read or forwarded, by core's rules (the ones every
// entry point uses): a phone number id and a wa_id are digits (at most 20), a BSUID is a country code, a dot
// and Meta's token. 400 otherwise. The patterns below only describe them in /openapi.json.
import { businessIdProblem, userIdProblem } from '@callpermit/core';
import { z } from '@hono/zod-openapi';

export const phoneNumberId = z
  .string()
  .refine((value) => businessIdProblem(value) === undefined, {
    error: (issue) => businessIdProblem(issue.input),
  })
  .openapi({
    example: '109876543210987',
    pattern: '^\\d{1,20}$',
    description: 'The business phone number id',
  });

export const userWaId = z
  .string()
  .refine((value) => /^\d+$/.test(value) && userIdProblem(value) === undefined, {
    error: (issue) => userIdProblem(issue.input) ?? 'a wa_id is digits only',
  })
  .openapi({ example: '447700900123', pattern: '^\\d{1,20}$' });

export const bsuid = z
  .string()
  .refine((value) => userIdProblem(value) === undefined, { error: (issue) => userIdProblem(issue.input) })
  .openapi({ example: 'US.13491208655302741918', pattern: '^[A-Z]{2}(\\.[0-9A-Za-z]+)+$' });

export const graphVersion = z
  .string()
  .regex(/^v\d+\.\d+$/, 'must be a Graph API version such as v23.0')
  .openapi({ example: 'v23.0' });

/** `at`: ISO-8601 with an offset, or Unix seconds. */
export const instantParam = z.string().max(40).openapi({
  example: '2026-01-01T12:00:00Z',
  description: 'The instant to answer for: ISO-8601 with an offset, or Unix seconds (default: now)',
});
