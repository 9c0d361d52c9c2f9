import { readFile } from 'node:fs/promises';
import { PolicyFileError, parseInstant, parsePolicyFile } from '@callpermit/cloud-api';
import { defaultPolicyBook, type Instant, type PolicyBook } from '@callpermit/core';
import { CliFailure } from './failure.js';

/** `--at`: ISO-8601 or Unix seconds; the only clock read of a query happens here, when it is absent. */
export function instantOption(text: string | undefined, now: () => Instant): Instant {
  if (text === undefined) return now();
  try {
    return parseInstant(/^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  } catch (error) {
    throw new CliFailure(`--at ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

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
    throw new CliFailure(
      `--policy ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliFailure(`--policy ${file}: not JSON: ${(error as Error).message}`);
  }
  return { json, book: policyFromJson(json, `--policy ${file}`) };
}

/** The PolicyBook of a policy file's JSON; `where` names it in the error. */
export function policyFromJson(json: unknown, where: string): PolicyBook {
  try {
    return parsePolicyFile(json);
  } catch (error) {
    if (error instanceof PolicyFileError)
      throw new CliFailure(`${where}: ${error.path || '(root)'}: ${error.reason}`);
    throw error;
  }
}

/** `--policy FILE` for a history folded here and now: the seed's values when absent. */
export async function policyOption(file: string | undefined): Promise<PolicyBook> {
  return file === undefined ? defaultPolicyBook : (await readPolicyFile(file)).book;
}

export function systemNow(): Instant {
  return Math.floor(Date.now() / 1000);
}
