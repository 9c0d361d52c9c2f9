// Fuzzing the readers in process: the Translator (webhook bodies, logged Graph calls, capture lines), the capture
// reader (`readCaptureLines` over a byte stream cut anywhere, then `Translator.line`) and the scenario reader
// (`parseScenario`, then `simulate` for what parses). Whatever they are given: no exception but the documented
// one, a `rejected` outcome that names the place and the reason, every fact produced one the engine's boundary
// accepts, no input that takes seconds, and no prototype polluted.
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type LineOutcome, readCaptureLines, Translator } from '@callpermit/cloud-api';
import { defaultPolicyBook, factProblem } from '@callpermit/core';
import { parseScenario, ScenarioError, simulate } from '@callpermit/simulation';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import {
  adversarialBodies,
  adversarialJson,
  adversarialString,
  brokenJson,
  deeplyNested,
  mutatedFrom,
  samples,
} from '../parts/adversarial.js';
import { captureCorpus, webhookCorpus } from '../parts/corpus.js';
import { checkPoisoning, watchPoisoning } from '../parts/poisoning.js';
import { type Scenario, type Size, Tally } from '../scenario.js';

const COUNTS: Record<Size, number> = { short: 1500, full: 100_000 };
/** One input taking this long is a problem (a regular expression or a loop gone quadratic). */
const SLOW_MS = 2000;

/** Checks a translator outcome; returns the number of facts it carries. */
function judgeOutcome(tally: Tally, outcome: LineOutcome, what: string): number {
  if (outcome.kind === 'rejected') {
    if (typeof outcome.reason !== 'string' || outcome.reason === '' || typeof outcome.path !== 'string')
      tally.add('violations', 1, `${what}: a rejection without a path and a reason`);
    return 0;
  }
  if (outcome.kind !== 'facts' || !Array.isArray(outcome.facts)) {
    tally.add('violations', 1, `${what}: an outcome that is neither facts nor rejected`);
    return 0;
  }
  for (const fact of outcome.facts) {
    const problem = factProblem(fact);
    if (problem !== undefined)
      tally.add('violations', 1, `${what}: a fact the engine refuses (${problem.field}: ${problem.reason})`);
  }
  return outcome.facts.length;
}

/** Runs `fn`, counting an exception (other than `allowed`) and a slow input as violations. */
function guarded<T>(
  tally: Tally,
  what: string,
  fn: () => T,
  allowed?: (error: unknown) => boolean,
): T | undefined {
  const started = performance.now();
  try {
    return fn();
  } catch (error) {
    if (!allowed?.(error))
      tally.add(
        'violations',
        1,
        `${what} threw ${(error as Error).name}: ${(error as Error).message?.slice(0, 200)}`,
      );
    return undefined;
  } finally {
    const ms = performance.now() - started;
    if (ms > SLOW_MS) tally.add('violations', 1, `${what} took ${Math.round(ms)} ms on one input`);
  }
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const fuzzTranslator: Scenario = {
  name: 'fuzz.translator',
  summary:
    'generated malformed and adversarial webhook bodies, Graph exchanges and capture lines through the Translator',
  async run(context) {
    const tally = new Tally();
    await watchPoisoning();
    const webhooks = webhookCorpus(200, 40, 51).map((d) => d.body);
    const lines = captureCorpus(600, 60, 52);
    const apiCalls = lines.filter((l) => l.includes('"api_call"'));
    const arbitrary = fc.oneof(
      adversarialBodies(webhooks).map((text) => ({ kind: 'webhook' as const, text })),
      adversarialBodies(apiCalls).map((text) => ({ kind: 'api_call' as const, text })),
      adversarialBodies(lines).map((text) => ({ kind: 'line' as const, text })),
    );
    let facts = 0;
    let rejected = 0;
    for (const chunk of samples(arbitrary, COUNTS[context.size], 1001)) {
      const translator = new Translator();
      for (const { kind, text } of chunk) {
        tally.inputs++;
        const outcome = guarded(tally, `Translator (${kind})`, () => {
          if (kind === 'line') return translator.line(text, 'fuzz:1');
          const body = parsedOrUndefined(text);
          return kind === 'webhook'
            ? translator.webhook(body, 1_767_225_600, 'fuzz')
            : translator.apiCall(body, 'fuzz');
        });
        if (outcome === undefined) continue;
        if (outcome.kind === 'rejected') rejected++;
        facts += judgeOutcome(tally, outcome, `Translator (${kind})`);
      }
      tally.rounds++;
    }
    await checkPoisoning(tally);
    tally.note({ rejected, facts });
    return tally.report();
  },
};

/** The lines a capture file holds, as an editor shows them: what `readCaptureLines` must yield (blank ones aside). */
function expectedLines(text: string): { lineNo: number; raw: string }[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((raw, i) => ({ lineNo: i + 1, raw: i === 0 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw }))
    .filter((l) => /\S/.test(l.raw));
}

export const fuzzCapture: Scenario = {
  name: 'fuzz.capture',
  summary:
    'generated capture files (any line ending, BOM, NUL, huge lines, bytes cut anywhere) through readCaptureLines and Translator.line',
  async run(context) {
    const tally = new Tally();
    const lines = captureCorpus(600, 60, 53);
    const line = fc.oneof(
      { weight: 6, arbitrary: mutatedFrom(lines) },
      { weight: 2, arbitrary: adversarialJson },
      { weight: 1, arbitrary: brokenJson },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\u0000', '\uFEFF', '\u2028') },
      { weight: 1, arbitrary: deeplyNested },
    );
    const file = fc.record({
      lines: fc.array(line, { minLength: 1, maxLength: 30 }),
      endings: fc.array(fc.constantFrom('\n', '\r\n', '\r', '\n\n'), { minLength: 1, maxLength: 30 }),
      bom: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
    });
    const perFile = 15;
    let yielded = 0;
    for (const chunk of samples(file, Math.ceil(COUNTS[context.size] / perFile), 2001, 100)) {
      const translator = new Translator();
      for (const f of chunk) {
        const text = `${f.bom ? '\uFEFF' : ''}${f.lines.map((l, i) => `${l}${f.endings[i % f.endings.length]}`).join('')}`;
        tally.inputs += f.lines.length;
        // The bytes arrive in pieces cut anywhere, even inside a character.
        const bytes = Buffer.from(text, 'utf8');
        const cuts = [...new Set(f.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...cuts, bytes.length]
          .slice(1)
          .map((end, i, all) => bytes.subarray(i === 0 ? 0 : (all[i - 1] as number), end));
        const got: { lineNo: number; raw: string }[] = [];
        try {
          for await (const l of readCaptureLines(Readable.from(pieces.map((p) => Buffer.from(p)))))
            got.push(l);
        } catch (error) {
          tally.add(
            'violations',
            1,
            `readCaptureLines threw ${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`,
          );
          continue;
        }
        const expected = expectedLines(text);
        if (JSON.stringify(got) !== JSON.stringify(expected))
          tally.add('violations', 1, `readCaptureLines yielded other lines or numbers than the file holds`);
        for (const { lineNo, raw } of got) {
          yielded++;
          const outcome = guarded(tally, 'Translator.line', () => translator.line(raw, `fuzz:${lineNo}`));
          if (outcome !== undefined) judgeOutcome(tally, outcome, 'Translator.line');
        }
      }
      tally.rounds++;
    }
    tally.note({ linesRead: yielded });
    return tally.report();
  },
};

/** The example scenarios of the repository, as JSON (YAML's subset), to be changed a little. */
function exampleScenarios(): string[] {
  const dir = fileURLToPath(new URL('../../../../examples/', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => JSON.stringify(parseYaml(readFileSync(`${dir}${f}`, 'utf8'))));
}

/** YAML's own traps: an alias bomb, tags, merge keys, duplicate keys, tabs, a document stream. */
const yamlTraps = fc.constantFrom(
  'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nsteps: [*d]',
  'steps: !!js/function "function () {}"',
  'steps:\n  - <<: {do: grant}\n    do: call',
  'scenario: a\nscenario: b\nsteps: []',
  'steps:\n\t- do: grant',
  '---\nsteps: []\n---\nsteps: []',
  '__proto__: {polluted: true}\nsteps: [{do: grant}]',
  'steps: [{do: call, repeat: 10000, every: 1s}]',
  'steps: [{do: grant, at: 9999-12-31T23:59:59Z}, {do: call, at: 0000-01-01T00:00:00Z}]',
  'steps: [{do: grant, after: -1d}]',
);

export const fuzzScenario: Scenario = {
  name: 'fuzz.scenario',
  summary: 'generated scenario files (changed examples, adversarial YAML) through parseScenario and simulate',
  async run(context) {
    const tally = new Tally();
    await watchPoisoning();
    const examples = exampleScenarios();
    const text = fc.oneof(
      { weight: 6, arbitrary: mutatedFrom(examples) },
      { weight: 1, arbitrary: adversarialJson },
      { weight: 1, arbitrary: yamlTraps },
      { weight: 1, arbitrary: adversarialString },
    );
    let parsed = 0;
    let simulated = 0;
    const isScenarioError = (error: unknown) => error instanceof ScenarioError;
    // Simulating is the slow part: the full run simulates a tenth of what parses.
    const simulateEvery = context.size === 'full' ? 10 : 1;
    for (const chunk of samples(text, COUNTS[context.size], 3001, 500)) {
      for (const t of chunk) {
        tally.inputs++;
        const scenario = guarded(
          tally,
          'parseScenario',
          () => parseScenario(t, 'fuzz.yaml'),
          isScenarioError,
        );
        if (scenario === undefined) continue;
        parsed++;
        if (parsed % simulateEvery !== 0) continue;
        const started = performance.now();
        try {
          await simulate(scenario, { policy: defaultPolicyBook });
          simulated++;
        } catch (error) {
          if (!isScenarioError(error))
            tally.add(
              'violations',
              1,
              `simulate threw ${(error as Error).name}: ${(error as Error).message?.slice(0, 200)}`,
            );
        }
        const ms = performance.now() - started;
        if (ms > 10 * SLOW_MS)
          tally.add('violations', 1, `simulate took ${Math.round(ms)} ms on one scenario`);
      }
      tally.rounds++;
    }
    await checkPoisoning(tally);
    tally.note({ parsed, simulated });
    return tally.report();
  },
};
