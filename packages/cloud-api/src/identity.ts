/** Separators people and CRMs put in phone numbers; Meta's `wa_id` is digits only. */
const PHONE_NOISE = /[\s+\-().]/g;

/** A phone number as a `wa_id`: `+44 7700-900123` → `447700900123`. BSUIDs are never passed through here. */
export function waId(phone: string): string {
  return phone.replace(PHONE_NOISE, '');
}
