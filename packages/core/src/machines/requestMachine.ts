import { setup } from 'xstate';

/**
 * The lifecycle of one call permission request message (seed: "A call permission request expires when…").
 * Time moves it as an input: EXPIRE is sent by the fold when a fact or a query reaches the request's expiry
 * instant, never by a timer. The fold reads this machine through `lifecycleTable`.
 */
export const requestMachine = setup({
  types: {
    events: {} as
      | { type: 'DELIVER' }
      | { type: 'FAIL' }
      | { type: 'ACCEPT' }
      | { type: 'DECLINE' }
      | { type: 'EXPIRE' }
      | { type: 'SUPERSEDE' },
  },
}).createMachine({
  id: 'request',
  initial: 'sent',
  states: {
    sent: {
      on: {
        DELIVER: 'delivered',
        FAIL: 'failed',
        // A reply proves delivery even when the delivered status never came.
        ACCEPT: 'accepted',
        DECLINE: 'declined',
        SUPERSEDE: 'superseded',
      },
    },
    delivered: {
      on: { ACCEPT: 'accepted', DECLINE: 'declined', EXPIRE: 'expired', SUPERSEDE: 'superseded' },
    },
    // "if the user declines a permission request, they can still grant calling permission, up until the
    // permission request expires."
    declined: {
      on: { ACCEPT: 'accepted', EXPIRE: 'expired', SUPERSEDE: 'superseded' },
    },
    accepted: {
      on: { EXPIRE: 'expired', SUPERSEDE: 'superseded' },
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
export type RequestEvent = 'DELIVER' | 'FAIL' | 'ACCEPT' | 'DECLINE' | 'EXPIRE' | 'SUPERSEDE';
export const requestEvents: readonly RequestEvent[] = [
  'DELIVER',
  'FAIL',
  'ACCEPT',
  'DECLINE',
  'EXPIRE',
  'SUPERSEDE',
];
