// What no log may hold: the soak's app secret, tokens and Meta token, a signature header, a bearer credential.
// Searched in the output of every service a scenario started (runScenario), and by the security scenario in
// its own service's output with every wrong token and signature it sent.
import { SOAK_META_TOKEN, SOAK_SECRET, SOAK_TOKEN, SOAK_VERIFY_TOKEN } from './corpus.js';

/** The secrets every service of the soak is given. */
export const SOAK_SECRETS: readonly string[] = [SOAK_SECRET, SOAK_TOKEN, SOAK_META_TOKEN, SOAK_VERIFY_TOKEN];
/** What a signature or a credential looks like wherever it is printed (case aside). */
const SHAPES = [/sha256=[0-9a-f]{16}/i, /bearer\s+\S{8}/i];

/** The secrets of `secrets` (and the shapes of any) that `text` holds, each named by its first characters only. */
export function secretsIn(text: string, secrets: readonly string[] = SOAK_SECRETS): string[] {
  const lower = text.toLowerCase();
  const found = secrets.filter((s) => lower.includes(s.toLowerCase())).map((s) => `${s.slice(0, 6)}…`);
  for (const shape of SHAPES) if (shape.test(text)) found.push(`text shaped like ${shape.source}`);
  return found;
}
