// Meta's webhooks: the verification handshake, and signed deliveries stored (body in the inbox, facts in the
// log, one transaction) before they are acknowledged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifyWebhookSignature } from '@callpermit/cloud-api';
import { type TranslatedLine, WEBHOOK_SOURCE } from '@callpermit/service';
import type { Context } from 'hono';
import type { AppEnv, Parts } from '../context.js';
import { errorResponse, GraphCode } from '../errors.js';

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * `GET /webhook?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: the challenge echoed as text when the
 * token is CALLPERMIT_VERIFY_TOKEN; 403 otherwise (and always when none is configured).
 */
export function verification(c: Context<AppEnv>, parts: Parts): Response {
  const mode = c.req.query('hub.mode');
  const token = c.req.query('hub.verify_token');
  const challenge = c.req.query('hub.challenge');
  if (
    parts.verifyToken === undefined ||
    mode !== 'subscribe' ||
    token === undefined ||
    challenge === undefined ||
    !sameText(token, parts.verifyToken)
  )
    return c.text('Forbidden', 403);
  return c.text(challenge, 200);
}

/** What a delivery came to, in the 200's body (Meta reads only the status). */
interface Acknowledgement {
  outcome: 'applied' | 'duplicate' | 'ignored' | 'rejected';
  reason?: string;
}

/**
 * `POST /webhook`: the signature (`X-Hub-Signature-256`, HMAC-SHA256 of the raw bytes under any configured app
 * secret) first: 401 and nothing stored when missing or wrong. Then the body is stored, verbatim, with its
 * facts, in one transaction, before the answer: 200 with the outcome (a redelivery is a `duplicate` and
 * changes nothing; a body with nothing relevant is `ignored`; a body the translator refuses is kept as
 * `rejected` with the reason, and acknowledged, since Meta sending it again would not help), or 400 with the
 * reason for malformed JSON (kept as rejected too). The 3 MB limit is enforced before this runs (413).
 */
export async function delivery(c: Context<AppEnv>, parts: Parts): Promise<Response> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (parts.appSecrets.length > 0) {
    const signature = c.req.header('x-hub-signature-256');
    if (!verifyWebhookSignature(bytes, signature, parts.appSecrets)) {
      parts.metrics.webhooks.inc({ outcome: 'unsigned' });
      return errorResponse(
        c,
        401,
        GraphCode.invalidToken,
        signature === undefined
          ? 'X-Hub-Signature-256 is missing'
          : 'X-Hub-Signature-256 does not match the body',
      );
    }
  }
  const raw = new TextDecoder().decode(bytes);
  let body: unknown;
  let malformed: string | undefined;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    malformed = `invalid JSON: ${(error as Error).message}`;
  }
  const line: TranslatedLine = {
    file: WEBHOOK_SOURCE,
    lineNo: 0,
    raw,
    outcome:
      malformed === undefined
        ? parts.translator.webhook(body, parts.now(), `${WEBHOOK_SOURCE}:${c.get('requestId')}`)
        : { kind: 'rejected', path: '', reason: malformed },
  };
  const result = await parts.recorder.record(line);
  const outcome = result.outcome;
  parts.metrics.webhooks.inc({ outcome: malformed === undefined ? outcome : 'malformed' });
  if (malformed !== undefined)
    return errorResponse(c, 400, GraphCode.invalidParameter, `(#100) ${malformed}`);
  const ack: Acknowledgement = result.reason === undefined ? { outcome } : { outcome, reason: result.reason };
  return c.json(ack, 200);
}
