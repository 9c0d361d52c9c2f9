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

/** `--policy FILE`: the policy file (docs/policy.md); the seed's values when absent. */
export async function policyOption(file: string | undefined): Promise<PolicyBook> {
  if (file === undefined) return defaultPolicyBook;
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
  try {
    return parsePolicyFile(json);
  } catch (error) {
    if (error instanceof PolicyFileError)
      throw new CliFailure(`--policy ${file}: ${error.path || '(root)'}: ${error.reason}`);
    throw error;
  }
}

export function systemNow(): Instant {
  return Math.floor(Date.now() / 1000);
}
