import { setup } from 'xstate';

/**
 * The lifecycle of a pair's call permission: none → temporary | permanent → revoked | expired → granted again.
 * Only the user grants or revokes ("Business does not have control over this permission"). EXPIRE is sent
 * by the fold when time reaches a temporary grant's expiry: Meta sends no webhook for it.
 */
export const permissionMachine = setup({
  types: {
    events: {} as
      | { type: 'GRANT_TEMPORARY' }
      | { type: 'GRANT_PERMANENT' }
      | { type: 'REVOKE' }
      | { type: 'EXPIRE' },
  },
}).createMachine({
  id: 'permission',
  initial: 'none',
  states: {
    none: { on: { GRANT_TEMPORARY: 'temporary', GRANT_PERMANENT: 'permanent' } },
    temporary: {
      on: {
        // A new temporary grant restarts the 7 days.
        GRANT_TEMPORARY: { target: 'temporary', reenter: true },
        GRANT_PERMANENT: 'permanent',
        REVOKE: 'revoked',
        EXPIRE: 'expired',
      },
    },
    permanent: {
      on: {
        // Granting again (say, after the reconsider prompt) is the user's answer too: it starts afresh.
        GRANT_PERMANENT: { target: 'permanent', reenter: true },
        // The user may change a permanent permission to temporary from the business profile.
        GRANT_TEMPORARY: 'temporary',
        REVOKE: 'revoked',
      },
    },
    revoked: { on: { GRANT_TEMPORARY: 'temporary', GRANT_PERMANENT: 'permanent' } },
    expired: { on: { GRANT_TEMPORARY: 'temporary', GRANT_PERMANENT: 'permanent' } },
  },
});

export type PermissionLifecycle = 'none' | 'temporary' | 'permanent' | 'revoked' | 'expired';
export type PermissionEvent = 'GRANT_TEMPORARY' | 'GRANT_PERMANENT' | 'REVOKE' | 'EXPIRE';
export const permissionEvents: readonly PermissionEvent[] = [
  'GRANT_TEMPORARY',
  'GRANT_PERMANENT',
  'REVOKE',
  'EXPIRE',
];
