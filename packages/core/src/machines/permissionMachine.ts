import { setup } from 'xstate';

/**
 * The lifecycle of a pair's call permission: none → temporary | permanent → revoked | expired → granted again.
 * Only the user grants or revokes ("Business does not have control over this permission"). Its events are
 * what happened to the permission, in the past tense like facts; the fold sends them (a PermissionGranted
 * fact is TemporaryGranted or PermanentGranted), and sends Expired itself when time reaches a temporary
 * grant's expiry: Meta sends no webhook for it.
 */
export const permissionMachine = setup({
  types: {
    events: {} as
      | { type: 'TemporaryGranted' }
      | { type: 'PermanentGranted' }
      | { type: 'Revoked' }
      | { type: 'Expired' },
  },
}).createMachine({
  id: 'permission',
  initial: 'none',
  states: {
    none: { on: { TemporaryGranted: 'temporary', PermanentGranted: 'permanent' } },
    temporary: {
      on: {
        // A new temporary grant restarts the 7 days.
        TemporaryGranted: { target: 'temporary', reenter: true },
        PermanentGranted: 'permanent',
        Revoked: 'revoked',
        Expired: 'expired',
      },
    },
    permanent: {
      on: {
        // Granting again (say, after the reconsider prompt) is the user's answer too: it starts afresh.
        PermanentGranted: { target: 'permanent', reenter: true },
        // The user may change a permanent permission to temporary from the business profile.
        TemporaryGranted: 'temporary',
        Revoked: 'revoked',
      },
    },
    revoked: { on: { TemporaryGranted: 'temporary', PermanentGranted: 'permanent' } },
    expired: { on: { TemporaryGranted: 'temporary', PermanentGranted: 'permanent' } },
  },
});

/**
 * The permission's state as callpermit folds it: it remembers how a permission ended (revoked, expired).
 * What Meta reports is `PermissionStatus` (no_permission, temporary, permanent), which `permissionAt` reads
 * from this at an instant.
 */
export type PermissionLifecycle = 'none' | 'temporary' | 'permanent' | 'revoked' | 'expired';
export type PermissionEvent = 'TemporaryGranted' | 'PermanentGranted' | 'Revoked' | 'Expired';
export const permissionEvents: readonly PermissionEvent[] = [
  'TemporaryGranted',
  'PermanentGranted',
  'Revoked',
  'Expired',
];
