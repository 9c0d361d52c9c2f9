/**
 * A pair is one business phone number and one WhatsApp user: every permission rule is per pair.
 * `user` is the user's `wa_id`, or the business-scoped user id (BSUID) when the user has no phone number.
 */
export interface Pair {
  readonly business: string;
  readonly user: string;
}

/** The stream id of a pair in the event log. `/` cannot occur in a phone number id. */
export function pairStreamId(pair: Pair): string {
  return `${pair.business}/${pair.user}`;
}

/** The stream holding facts about a business number as a whole (callback setting, templates). */
export function businessStreamId(business: string): string {
  return `${business}/`;
}

export function parseStreamId(streamId: string): Pair {
  const slash = streamId.indexOf('/');
  return { business: streamId.slice(0, slash), user: streamId.slice(slash + 1) };
}
