// Fuzzing the HTTP endpoints over loopback: generated bodies as signed webhooks (and unsigned ones), as capture
// files to POST /v1/captures, as permission requests and calls to the guard, and generated identifiers and instants
// in the queries. The app runs in this process (createApp + listen, over PostgreSQL) so its prototypes can be
// checked afterwards. No answer may be a 5xx or go missing; input that carries nothing applicable (what the
// translator refuses or finds empty, any unsigned body, any query) must leave the log exactly as it was; whatever
// was applied passes the engine's boundary; the inbox keeps every signed body.
import { Translator, webhookSignature } from '@callpermit/cloud-api';
import { Engine, factProblem } from '@callpermit/core';
import { createApp, type Listening, listen } from '@callpermit/http';
import { bodyHash, openStore } from '@callpermit/store';
import { FakeGraph } from '@callpermit/testing/graph';
import { freeFormRequestBody } from '@callpermit/testing/wire';
import fc from 'fast-check';
import { pino } from 'pino';
import { adversarialBodies, adversarialNumber, adversarialString, samples } from '../parts/adversarial.js';
import { captureCorpus, SOAK_META_TOKEN, SOAK_SECRET, SOAK_TOKEN, webhookCorpus } from '../parts/corpus.js';
import { checkPoisoning, watchPoisoning } from '../parts/poisoning.js';
import { secretsIn } from '../parts/secrets.js';
import { type Answer, request } from '../parts/services.js';
import { lastPosition } from '../parts/storeSnapshot.js';
import { type Scenario, type Size, Tally } from '../scenario.js';

const COUNTS: Record<Size, number> = { short: 600, full: 100_000 };
const CONCURRENCY = 12;
const BUSINESS = '109876543210987';

type Input =
  | { readonly kind: 'webhook'; readonly body: string; readonly signed: boolean }
  | { readonly kind: 'captures'; readonly lines: readonly string[] }
  | { readonly kind: 'guard'; readonly edge: 'messages' | 'calls'; readonly body: string }
  | { readonly kind: 'query'; readonly path: string };

/** Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD, as a client would send it). */
function encode(value: string | number): string {
  let out = '';
  for (const byte of Buffer.from(String(value), 'utf8'))
    out += /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function inputs(webhooks: readonly string[], lines: readonly string[]): fc.Arbitrary<Input> {
  const guardBases = [
    JSON.stringify(freeFormRequestBody('447700900123')),
    JSON.stringify({
      messaging_product: 'whatsapp',
      to: '447700900123',
      action: 'connect',
      session: { sdp_type: 'offer', sdp: 'v=0' },
    }),
    JSON.stringify({
      messaging_product: 'whatsapp',
      to: '447700900123',
      type: 'template',
      template: { name: 'x', language: { code: 'en' } },
    }),
  ];
  const identifier = fc.oneof(
    adversarialString,
    fc.constantFrom(BUSINESS, '447700900123', 'US.13491208655302741918'),
  );
  const instant = fc.oneof(adversarialString, adversarialNumber.map(String));
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('webhook' as const),
        body: adversarialBodies(webhooks),
        signed: fc.nat({ max: 9 }).map((n) => n < 8),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('captures' as const),
        lines: fc.array(adversarialBodies(lines), { minLength: 1, maxLength: 12 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('guard' as const),
        edge: fc.constantFrom('messages' as const, 'calls' as const),
        body: adversarialBodies(guardBases),
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          business: identifier,
          user: identifier,
          at: fc.option(instant),
          route: fc.constantFrom('call_permissions', 'call_permissions/requests', 'timeline'),
          who: fc.constantFrom('user_wa_id', 'recipient'),
        })
        .filter((q) => q.route !== 'timeline' || q.user.length < 40)
        .map((q) => ({
          kind: 'query' as const,
          path: `/v1/${encode(q.business)}/${q.route}?${q.who}=${encode(q.user)}${q.at === null ? '' : `&at=${encode(q.at)}`}`,
        })),
    },
  );
}

async function send(url: string, input: Input): Promise<Answer> {
  const auth = { authorization: `Bearer ${SOAK_TOKEN}` };
  switch (input.kind) {
    case 'webhook':
      return request(`${url}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': input.signed
            ? webhookSignature(input.body, SOAK_SECRET)
            : webhookSignature(input.body, 'not-the-secret'),
        },
        body: input.body,
      });
    case 'captures':
      return request(`${url}/v1/captures`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body: `${input.lines.join('\n')}\n`,
      });
    case 'guard':
      return request(`${url}/v23.0/${BUSINESS}/${input.edge}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: input.body,
      });
    default:
      return request(`${url}${input.path}`, { headers: auth });
  }
}

/**
 * Whether an input is invalid, so that it must change nothing: an unsigned webhook, a signed body or capture
 * lines the translator refuses outright, a query. (A body it merely finds empty may still be applicable: a status
 * of a message the service learnt is a request, which this translator cannot know.)
 */
function invalid(input: Input, translator: Translator): boolean {
  const refused = (text: string, line: boolean) => {
    if (line) return translator.line(text, 'fuzz:1').kind === 'rejected';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return true;
    }
    return translator.webhook(body, Math.floor(Date.now() / 1000), 'fuzz').kind === 'rejected';
  };
  switch (input.kind) {
    case 'webhook':
      return !input.signed || refused(input.body, false);
    case 'captures':
      return input.lines.every((l) => refused(l, true));
    case 'guard':
      return false;
    default:
      return true;
  }
}

export const fuzzHttp: Scenario = {
  name: 'fuzz.http',
  summary:
    'generated bodies, identifiers and instants against the webhook, /v1/captures, the guard and the queries: no 5xx, nothing applied from invalid input',
  async run(context) {
    const tally = new Tally();
    await watchPoisoning();
    const fake = await FakeGraph.start();
    const store = await openStore({ databaseUrl: await context.newDatabase() });
    let server: Listening | undefined;
    const errors: string[] = [];
    let logLines = 0;
    try {
      const app = createApp(new Engine(store), {
        appSecrets: [SOAK_SECRET],
        apiTokens: [{ token: SOAK_TOKEN }],
        graph: { url: fake.url, token: SOAK_META_TOKEN, timeoutMs: 5000 },
        // Every line is searched for secrets; errors are kept for the report.
        logger: pino(
          { level: 'debug' },
          {
            write: (line: string) => {
              logLines++;
              for (const leak of secretsIn(line)) tally.add('violations', 1, `the app logged ${leak}`);
              if (line.includes('"level":50')) errors.push(line);
            },
          },
        ),
      });
      server = await listen(app, { port: 0 });
      const url = server.url;
      const arbitrary = inputs(
        webhookCorpus(200, 40, 61).map((d) => d.body),
        captureCorpus(400, 40, 62),
      );
      const translator = new Translator();
      // Hashes, not bodies: 100,000 inputs hold hundreds of MB of generated text.
      const signedBodies = new Set<string>();
      let unchangedChecks = 0;
      let last = 0;
      for (const chunk of samples(arbitrary, COUNTS[context.size], 4001, 600)) {
        // Inputs that can change nothing go in a batch of their own, with the log read before and after.
        const inert = chunk.filter((i) => invalid(i, translator));
        const rest = chunk.filter((i) => !invalid(i, translator));
        for (const [batch, unchanged] of [
          [inert, true],
          [rest, false],
        ] as const) {
          last = await lastPosition(store, last);
          let next = 0;
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
              while (next < batch.length) {
                const input = batch[next++] as Input;
                const answer = await send(url, input);
                tally.inputs++;
                // Acknowledged, or refused as malformed JSON: kept in the inbox either way.
                if (
                  input.kind === 'webhook' &&
                  input.signed &&
                  (answer.status === 200 || answer.status === 400)
                )
                  signedBodies.add(bodyHash(input.body));
                if (answer.status === 0)
                  tally.add(
                    'violations',
                    1,
                    `${input.kind}: no answer (${'failure' in answer ? answer.failure : ''})`,
                  );
                else if (answer.status >= 500)
                  tally.add(
                    'serverErrors',
                    1,
                    `${input.kind} answered ${answer.status}: ${'text' in answer ? answer.text.slice(0, 200) : ''}`,
                  );
                else if (input.kind === 'webhook' && !input.signed && answer.status !== 401)
                  tally.add('violations', 1, `an unsigned webhook answered ${answer.status}`);
              }
            }),
          );
          if (unchanged) {
            unchangedChecks++;
            const added = await store.readAll(last, 1000);
            for (const { fact } of added)
              tally.add(
                'doubleCounted',
                1,
                `input that carries nothing applicable changed the log: ${fact.type} from ${fact.source.kind} ${fact.source.ref}`,
              );
          }
        }
        tally.rounds++;
        if (tally.rounds % 20 === 0) context.log(`${tally.inputs} inputs sent`);
      }
      // What was applied passes the boundary; every acknowledged signed body is kept.
      const stored = await store.readAll(0, 1_000_000_000);
      for (const { fact } of stored) {
        const problem = factProblem(fact);
        if (problem !== undefined)
          tally.add(
            'violations',
            1,
            `a stored fact the boundary refuses: ${problem.field}: ${problem.reason}`,
          );
      }
      const kept = new Set<string>();
      for await (const entry of store.inbox.iterate({ pageSize: 2000 })) kept.add(entry.hash);
      const lost = [...signedBodies].filter((hash) => !kept.has(hash)).length;
      tally.add('lost', lost, 'acknowledged signed webhooks not kept in the inbox');
      // What the app logged as errors (a 500's cause), for the report.
      if (errors.length > 0) tally.note({ errorLog: errors.slice(0, 5) });
      await checkPoisoning(tally);
      tally.note({
        facts: stored.length,
        signedBodiesKept: signedBodies.size - lost,
        unchangedChecks,
        forwarded: fake.received.length,
        logLines,
      });
    } finally {
      await server?.close(1000);
      await store.close();
      await fake.close();
    }
    return tally.report();
  },
};
