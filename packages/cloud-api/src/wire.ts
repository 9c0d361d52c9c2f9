import { z } from 'zod';
import { instantOrReason, wireSeconds } from './instant.js';

/** Unix seconds as Meta writes them: a string of digits (envelope timestamps) or a number (expiry, duration). */
export const seconds = z
  .union([z.string(), z.number()], { error: 'expected Unix seconds (a string of digits or a number)' })
  .transform((value, ctx) => {
    const result = wireSeconds(value);
    if (typeof result === 'string') {
      ctx.addIssue({ code: 'custom', message: result });
      return z.NEVER;
    }
    return result;
  });

/** An instant written by whoever logged the capture: ISO-8601 with an offset, or Unix seconds. */
export const instant = z
  .union([z.string(), z.number()], { error: 'expected an ISO-8601 instant or Unix seconds' })
  .transform((value, ctx) => {
    const result = instantOrReason(value);
    if (typeof result === 'string') {
      ctx.addIssue({ code: 'custom', message: result });
      return z.NEVER;
    }
    return result;
  });

/** Ids (message, call, phone number, user) are opaque non-empty strings. */
export const id = z.string().min(1, 'must not be empty');
