import { defaultPolicyBook, type PolicyBook } from '@callpermit/core';
import type { SqlStore } from '@callpermit/store';
import { CliFailure } from './failure.js';
import { policyFromJson, readPolicyFile } from './options.js';

const SETTING = 'policy';

/** JSON with object keys sorted, so two policy files that mean the same compare equal (jsonb reorders keys). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface StorePolicy {
  readonly book: PolicyBook;
  /** The policy JSON to keep with the store (a store that had none takes the one it is first given). */
  readonly save?: unknown;
}

/**
 * The policy a store's log is folded under. Heads are folded states: they are right only for the policy
 * they were folded with, so a store keeps its policy, queries and replays use it, and only `rebuild --policy`
 * changes it. A store without one was folded under the seed's defaults (`{}`).
 */
export async function storePolicy(
  store: SqlStore,
  file: string | undefined,
  empty: boolean,
): Promise<StorePolicy> {
  const stored = await store.setting(SETTING);
  if (file === undefined) {
    return {
      book: stored === undefined ? defaultPolicyBook : policyFromJson(stored, 'the policy kept in the store'),
    };
  }
  const given = await readPolicyFile(file);
  if (!empty && canonical(stored ?? {}) !== canonical(given.json)) {
    throw new CliFailure(
      `--policy ${file} is not the policy ${store.location} was built under; change it with: callpermit rebuild --policy ${file}`,
    );
  }
  return stored === undefined ? { book: given.book, save: given.json } : { book: given.book };
}

export const POLICY_SETTING = SETTING;
