import { readFile } from 'node:fs/promises';
import { PolicyFileError, parsePolicyFile } from '@callpermit/cloud-api';
import { defaultPolicyBook, type PolicyBook } from '@callpermit/core';
import type { SqlStore } from '@callpermit/store';
import { ConfigurationError } from './failure.js';

/** A policy file read and checked: its JSON (kept by stores) and the PolicyBook it means. */
export interface PolicySource {
  readonly json: unknown;
  readonly book: PolicyBook;
}

/** Reads and checks `--policy FILE` (docs/policy.md). */
export async function readPolicyFile(file: string): Promise<PolicySource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      `--policy ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`--policy ${file}: not JSON: ${(error as Error).message}`);
  }
  return { json, book: policyFromJson(json, `--policy ${file}`) };
}

/** The PolicyBook of a policy file's JSON; `where` names it in the error. */
export function policyFromJson(json: unknown, where: string): PolicyBook {
  try {
    return parsePolicyFile(json);
  } catch (error) {
    if (error instanceof PolicyFileError)
      throw new ConfigurationError(`${where}: ${error.path || '(root)'}: ${error.reason}`);
    throw error;
  }
}

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
    throw new ConfigurationError(
      `--policy ${file} is not the policy ${store.location} was built under; change it with: callpermit rebuild --policy ${file}`,
    );
  }
  return stored === undefined ? { book: given.book, save: given.json } : { book: given.book };
}

export const POLICY_SETTING = SETTING;
