// The shapes of the identifiers core takes: Meta's phone-number ids, users (wa_id or BSUID), the ids of
// messages and calls, and idempotency keys. Checked at the entry points, so a pair is never split in two by
// a formatting slip ('+44 7700…' beside '447700…') and nothing the stores cannot hold reaches them.

import type { Pair } from '../domain/pair.js';
import { type InputProblem, shown } from './invalidInput.js';

/** Longest message or call id, template name or language code accepted. Meta's ids are under 100 characters. */
export const MAX_ID_LENGTH = 256;
/** Longest idempotency key: room for a stream id and an id (`command:{business}/{user}:call:{id}`). */
export const MAX_KEY_LENGTH = 1024;
/** Longest `source.ref` (a file name and line, a webhook id). */
export const MAX_REF_LENGTH = 4096;
/** Graph API ids are 64-bit integers: at most 20 decimal digits. wa_ids (E.164 numbers) are at most 15. */
const MAX_DIGITS = 20;
/** A BSUID: an ISO 3166 country code, a dot, Meta's token (`US.13491208655302741918`; parents add `.ENT`). */
const BSUID = /^[A-Z]{2}(?:\.[0-9A-Za-z]+)+$/;
const MAX_BSUID_LENGTH = 160;
/**
 * Whether text holds a control character (C0, DEL, C1) or half of a surrogate pair: nothing an id is made of,
 * and PostgreSQL cannot store NUL in text nor a lone surrogate as UTF-8.
 */
function unsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

/** Why a value is not printable text of 1 to `max` characters (0 to `max` with `emptyOk`), or undefined. */
export function textProblem(value: unknown, max: number, emptyOk = false): string | undefined {
  if (value === undefined) return 'missing';
  if (typeof value !== 'string') return `${shown(value)} is not text`;
  if (value.length === 0) return emptyOk ? undefined : 'empty';
  if (value.length > max) return `${value.length} characters long, more than ${max}`;
  if (unsafeCharacter(value)) return `${shown(value)} holds a control character or a broken surrogate pair`;
  return undefined;
}

function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Why a value is not a business phone-number id (Meta's `phone_number_id`: digits), or undefined. */
export function businessIdProblem(value: unknown): string | undefined {
  if (value === undefined) return 'missing';
  if (typeof value === 'number')
    return `${shown(value)}: a phone-number id is text (digits), as Meta sends it; ids past 2^53 lose digits as numbers`;
  if (typeof value !== 'string') return `${shown(value)} is not a phone-number id (text of digits)`;
  if (value.length === 0) return 'empty';
  if (value.length > MAX_DIGITS || !allDigits(value))
    return `${shown(value)} is not a phone-number id: Meta's are digits only (109876543210987)`;
  return undefined;
}

/** Why a value is not a user (a wa_id, digits only, or a BSUID such as US.13491208655302741918), or undefined. */
export function userIdProblem(value: unknown): string | undefined {
  if (value === undefined) return 'missing';
  if (typeof value === 'number')
    return `${shown(value)}: a wa_id is text (digits), as Meta sends it: '${value}'`;
  if (typeof value !== 'string') return `${shown(value)} is not a user id (a wa_id or a BSUID)`;
  if (value.length === 0) return 'empty';
  if (value.length <= MAX_DIGITS && allDigits(value)) return undefined;
  if (value.length <= MAX_BSUID_LENGTH && BSUID.test(value)) return undefined;
  if (/^[\d\s+\-().]+$/.test(value))
    return `${shown(value)} is a phone number as people write it: a wa_id is digits only (no +, spaces or punctuation)`;
  return `${shown(value)} is neither a wa_id (digits) nor a BSUID (a country code, a dot and Meta's token: US.13491208655302741918)`;
}

/** The problems of a pair: its two fields, named under `field` (`pair.business`, `pair.user`). */
export function pairProblem(value: unknown, field = 'pair'): InputProblem | undefined {
  if (value === undefined) return { field, reason: 'missing' };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field, reason: `${shown(value)} is not a pair ({ business, user })` };
  const pair = value as Partial<Pair>;
  const business = businessIdProblem(pair.business);
  if (business !== undefined) return { field: `${field}.business`, reason: business };
  const user = userIdProblem(pair.user);
  if (user !== undefined) return { field: `${field}.user`, reason: user };
  return undefined;
}
