import { parseInstant } from '@callpermit/cloud-api';
import { defaultPolicyBook, type Instant, type PolicyBook } from '@callpermit/core';
import { readPolicyFile } from '@callpermit/service';
import { CliFailure } from './failure.js';

/** `--at`: ISO-8601 or Unix seconds; the only clock read of a query happens here, when it is absent. */
export function instantOption(text: string | undefined, now: () => Instant): Instant {
  return timeOption(text, '--at') ?? now();
}

/** A time option (`--since`, `--until`…): ISO-8601 or Unix seconds; undefined when not given. */
export function timeOption(text: string | undefined, flag: string): Instant | undefined {
  if (text === undefined) return undefined;
  try {
    return parseInstant(/^\d+(\.\d+)?$/.test(text) ? Number(text) : text);
  } catch (error) {
    throw new CliFailure(`${flag} ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

/** `--policy FILE` for a history folded here and now: the seed's values when absent. */
export async function policyOption(file: string | undefined): Promise<PolicyBook> {
  return file === undefined ? defaultPolicyBook : (await readPolicyFile(file)).book;
}

export function systemNow(): Instant {
  return Math.floor(Date.now() / 1000);
}
