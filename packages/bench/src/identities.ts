/** The fake ids the generators use: business numbers, their WhatsApp Business Accounts, and users. */
export interface Business {
  readonly index: number;
  /** `metadata.phone_number_id`: the business side of a pair. */
  readonly phoneNumberId: string;
  readonly displayNumber: string;
  /** `entry[].id`, and the account templates are created under. */
  readonly wabaId: string;
}

/** 2026-01-05T00:00:00Z: generated histories start here. */
export const HISTORY_START = 1767571200;

/** About one business number per 500 pairs, at least one and at most 50. */
export function businessCount(pairs: number): number {
  return Math.max(1, Math.min(50, Math.round(pairs / 500)));
}

export function businessAt(index: number): Business {
  const n = String(index).padStart(5, '0');
  return { index, phoneNumberId: `1098765432${n}`, displayNumber: `1555000${n}`, wabaId: `1029384756${n}` };
}

/** Pairs are spread over the business numbers round-robin; every pair has its own user. */
export function businessOfPair(pairIndex: number, businesses: number): number {
  return pairIndex % businesses;
}

export function userOfPair(pairIndex: number): string {
  return `4477${String(pairIndex).padStart(8, '0')}`;
}
