import type { Instant } from '@callpermit/core';
import type { Batch } from './batch.js';

/** The calling settings callpermit models (reference §8): both arrive on the webhook and on POST …/settings. */
export interface CallingSettings {
  readonly status?: 'ENABLED' | 'DISABLED' | undefined;
  readonly callback_permission_status?: 'ENABLED' | 'DISABLED' | undefined;
}

/**
 * The business facts of a settings change: `callback_permission_status` → CallbackSettingChanged, `status` →
 * CallingSettingChanged (calling on or off: 138000 while off). Keys start with `prefix` (`settings` for
 * webhooks, `api:settings` for API calls) and name the business, the instant and the new value.
 */
export function callingSettingFacts(
  calling: CallingSettings,
  business: string,
  at: Instant,
  prefix: string,
  out: Batch,
): void {
  const word = (value: string) => (value === 'ENABLED' ? 'enabled' : 'disabled');
  if (calling.callback_permission_status !== undefined) {
    const value = calling.callback_permission_status;
    out.facts.push({
      type: 'CallbackSettingChanged',
      business,
      enabled: value === 'ENABLED',
      at,
      key: `${prefix}:${business}:${at}:callback-${word(value)}`,
      source: out.source,
    });
  }
  if (calling.status !== undefined) {
    out.facts.push({
      type: 'CallingSettingChanged',
      business,
      enabled: calling.status === 'ENABLED',
      at,
      key: `${prefix}:${business}:${at}:calling-${word(calling.status)}`,
      source: out.source,
    });
  }
}
