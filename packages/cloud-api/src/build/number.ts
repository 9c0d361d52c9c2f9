/**
 * The business phone number a built body is about. Meta's envelopes also name the WhatsApp Business Account
 * and the number as displayed; callers that do not care get the wire reference's fake values.
 */
export interface BusinessNumber {
  readonly phoneNumberId: string;
  readonly wabaId?: string;
  readonly displayNumber?: string;
}

export const FAKE_WABA_ID = '102938475610293';
export const FAKE_DISPLAY_NUMBER = '15550001111';

/** ISO-8601 UTC, as loggers write `at` and `received_at`. */
export function isoInstant(at: number): string {
  return new Date(at * 1000).toISOString().replace('.000Z', 'Z');
}
