import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './read.js';

function error(text: string): ScenarioError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}

const head = 'scenario: s\nsteps:\n';

describe('reading a scenario file', () => {
  it('reads YAML and JSON alike', () => {
    const yaml = parseScenario(`${head}  - do: send request\n    request: a\n`, 'a.yaml');
    const json = parseScenario(
      JSON.stringify({ scenario: 's', steps: [{ do: 'send request', request: 'a' }] }),
      'a.json',
    );
    expect(json.data).toEqual(yaml.data);
  });

  it('names the file, line, field and reason of a bad value', () => {
    const e = error(`${head}  - do: call\n  - do: wait\n    after: 3 days\n`);
    expect(e.message).toBe(
      'bad.yaml:5:12: steps[1].after: not a duration: write 90m, 1d12h, 7d, PT24H or P7D',
    );
    expect([e.line, e.field]).toEqual([5, 'steps[1].after']);
  });

  it('names an unknown key, an unknown step and a missing field', () => {
    expect(error(`${head}  - do: call\n    outcom: connected\n`).message).toBe(
      'bad.yaml:3:5: steps[0]: unknown key "outcom"',
    );
    expect(error(`${head}  - do: dance\n`).message).toMatch(
      /^bad\.yaml:3:9: steps\[0\]\.do: Invalid discriminator value\. Expected 'user messages' \| /,
    );
    expect(error(`${head}  - do: decline\n`).message).toBe(
      'bad.yaml:3:5: steps[0].request: missing (expected string)',
    );
    expect(error('steps: []\n').message).toBe('bad.yaml:1:1: scenario: missing (expected string)');
  });

  it('names a bad expectation', () => {
    const e = error(`${head}  - do: wait\n    expect:\n      permission: granted\n`);
    expect(e.field).toBe('steps[0].expect.permission');
    expect(e.line).toBe(5);
  });

  it('reports a YAML syntax error with its line', () => {
    const e = error(`${head}  - do: wait\n    note: a: b\n`);
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/^bad\.yaml:4:\d+: /);
  });

  it('refuses an alias bomb and an alias before its anchor as a ScenarioError, never another exception', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const n of ['b', 'c', 'd', 'e'])
      bomb.push(
        `${n}: &${n} [${Array(9)
          .fill(`*${bomb.length === 1 ? 'a' : String.fromCharCode(n.charCodeAt(0) - 1)}`)
          .join(', ')}]`,
      );
    expect(error(`${bomb.join('\n')}\nscenario: s\nsteps: []\n`).message).toMatch(
      /^bad\.yaml:1:1: Excessive alias count indicates a resource exhaustion attack/,
    );
    expect(error(`${head}  - do: call\n    call: *nowhere\n`).message).toMatch(/^bad\.yaml:\d+:\d+: /);
  });

  it('refuses a request or call name that could not be an id: control characters, broken surrogates, too long', () => {
    expect(error(`${head}  - do: send request\n    request: "a\\u0001b"\n`).message).toBe(
      'bad.yaml:4:14: steps[0].request: the text "a\\u0001b" holds a control character or a broken surrogate pair',
    );
    expect(error(`${head}  - do: call\n    call: "\\ud800"\n`).field).toBe('steps[0].call');
    expect(error(`${head}  - do: call\n    call: ${'x'.repeat(201)}\n`).message).toMatch(
      /steps\[0\]\.call: .*200/,
    );
  });
});
