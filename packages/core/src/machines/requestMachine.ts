import { setup } from 'xstate';

/**
 * The lifecycle of one call permission request message (seed: "A call permission request expires when…").
 * Its events are what happened to the request, in the past tense like facts: a status or a reply (Delivered,
 * Failed, Accepted, Declined), a newer request reaching the user (Superseded), or time reaching the request's
 * expiry instant (Expired), which the fold sends when a fact or a query reaches it, never a timer. The fold
 * reads this machine through `lifecycleTable`.
 */
export const requestMachine = setup({
  types: {
    events: {} as
      | { type: 'Delivered' }
      | { type: 'Failed' }
      | { type: 'Accepted' }
      | { type: 'Declined' }
      | { type: 'Expired' }
      | { type: 'Superseded' },
  },
}).createMachine({
  id: 'request',
  initial: 'sent',
  states: {
    sent: {
      on: {
        Delivered: 'delivered',
        Failed: 'failed',
        // A reply proves delivery even when the delivered status never came.
        Accepted: 'accepted',
        Declined: 'declined',
        Superseded: 'superseded',
      },
    },
    delivered: {
      on: { Accepted: 'accepted', Declined: 'declined', Expired: 'expired', Superseded: 'superseded' },
    },
    // "if the user declines a permission request, they can still grant calling permission, up until the
    // permission request expires."
    declined: {
      on: { Accepted: 'accepted', Expired: 'expired', Superseded: 'superseded' },
    },
    accepted: {
      on: { Expired: 'expired', Superseded: 'superseded' },
    },
    expired: { type: 'final' },
    superseded: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type RequestLifecycle =
  | 'sent'
  | 'delivered'
  | 'accepted'
  | 'declined'
  | 'expired'
  | 'superseded'
  | 'failed';
export type RequestEvent = 'Delivered' | 'Failed' | 'Accepted' | 'Declined' | 'Expired' | 'Superseded';
export const requestEvents: readonly RequestEvent[] = [
  'Delivered',
  'Failed',
  'Accepted',
  'Declined',
  'Expired',
  'Superseded',
];
