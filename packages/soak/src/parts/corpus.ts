// The signed webhook loads the scenarios deliver: Meta's bodies from the benchmarks' deterministic capture
// generator (realistic stories of many pairs: messages, replies, statuses, calls; some redelivered, some late),
// each with its X-Hub-Signature-256. Bodies whose facts depend on when they are received (an item without a
// timestamp of its own takes the instant of receipt) are left out: two deliveries of them at different instants
// differ by design, so no byte-for-byte comparison could hold.
import { captureLines } from '@callpermit/bench';
import { Translator, webhookSignature } from '@callpermit/cloud-api';

/** The app secret and tokens of every service the soak starts. */
export const SOAK_SECRET = 'soak-app-secret-7f3c9a1e';
export const SOAK_TOKEN = 'soak-caller-token-0123456789';
export const SOAK_META_TOKEN = 'soak-meta-token-for-callpermit';
export const SOAK_VERIFY_TOKEN = 'soak-verify-token-42';

/** One webhook delivery: the raw body Meta POSTs and its signature header. */
export interface Delivery {
  readonly body: string;
  readonly signature: string;
}

/** Whether the translation of `body` is the same whatever the instant it is received. */
function timeless(translator: Translator, payload: unknown): boolean {
  const a = translator.webhook(payload, 1_767_000_000, 'soak');
  const b = translator.webhook(payload, 1_767_500_000, 'soak');
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `count` signed webhook bodies over about `pairs` pairs, the same for the same seed on every machine. */
export function webhookCorpus(count: number, pairs: number, seed: number): Delivery[] {
  const translator = new Translator();
  const out: Delivery[] = [];
  for (const line of captureLines({ lines: count * 4, pairs, seed })) {
    const parsed = JSON.parse(line) as { kind?: string; payload?: unknown };
    if (parsed.kind !== 'webhook' || !timeless(translator, parsed.payload)) continue;
    const body = JSON.stringify(parsed.payload);
    out.push({ body, signature: webhookSignature(body, SOAK_SECRET) });
    if (out.length >= count) break;
  }
  return out;
}

/** `count` capture lines (webhooks and the business's Graph calls) from the same generator: a file to replay. */
export function captureCorpus(count: number, pairs: number, seed: number): string[] {
  return [...captureLines({ lines: count, pairs, seed })];
}
