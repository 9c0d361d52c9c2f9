import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Engine, type Fact, MemoryFactStore } from '@callpermit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureLines, Translator } from '../index.js';

const example = fileURLToPath(new URL('../../../../examples/capture.ndjson', import.meta.url));

async function collect(input: NodeJS.ReadableStream) {
  const lines: { lineNo: number; raw: string }[] = [];
  for await (const line of readCaptureLines(input)) lines.push(line);
  return lines;
}

describe('readCaptureLines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'callpermit-capture-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers lines from 1, skips blank ones, strips CRLF and a byte-order mark', async () => {
    const file = path.join(dir, 'crlf.ndjson');
    await writeFile(file, '\uFEFF{"a":1}\r\n\r\n   \r\n{"b":2}\r\n{"c":3}');
    expect(await collect(createReadStream(file))).toEqual([
      { lineNo: 1, raw: '{"a":1}' },
      { lineNo: 4, raw: '{"b":2}' },
      { lineNo: 5, raw: '{"c":3}' },
    ]);
  });

  it('streams: a line is yielded before the input has ended', async () => {
    const input = new PassThrough();
    const lines = readCaptureLines(input);
    input.write('{"first":true}\n');
    const first = await lines.next();
    expect(first.value).toEqual({ lineNo: 1, raw: '{"first":true}' });
    input.end('{"second":true}\n');
    expect((await lines.next()).value).toEqual({ lineNo: 2, raw: '{"second":true}' });
    expect((await lines.next()).done).toBe(true);
  });

  it('reads a large file line by line to the end', async () => {
    const file = path.join(dir, 'large.ndjson');
    const line = `{"kind":"webhook","pad":"${'x'.repeat(1000)}"}\n`;
    await writeFile(file, line.repeat(20_000));
    let count = 0;
    let last = 0;
    for await (const { lineNo } of readCaptureLines(createReadStream(file))) {
      count++;
      last = lineNo;
    }
    expect([count, last]).toEqual([20_000, 20_000]);
  });
});

describe('examples/capture.ndjson', () => {
  async function translateExample() {
    const translator = new Translator();
    const outcomes = [];
    for await (const { lineNo, raw } of readCaptureLines(createReadStream(example))) {
      outcomes.push({ lineNo, outcome: translator.line(raw, `capture.ndjson:${lineNo}`) });
    }
    return outcomes;
  }

  it('translates every line; each line gives the facts of its story', async () => {
    const summary = (await translateExample()).map(({ lineNo, outcome }) =>
      outcome.kind === 'facts'
        ? [lineNo, outcome.facts.map((f) => f.type).join(' '), outcome.ignored]
        : [lineNo, `rejected ${outcome.path}: ${outcome.reason}`],
    );
    expect(summary).toEqual([
      [1, 'TemplateKnown', 0],
      [2, 'UserMessaged', 0],
      [3, 'RequestSent', 0],
      [4, 'RequestSent RequestDelivered', 0],
      [5, 'PermissionGranted', 0],
      [6, 'CallAttempted', 0],
      [7, 'CallConnected', 1],
      [8, 'CallConnected', 0],
      [9, 'RequestSent', 0],
      [10, 'RequestRead', 0],
      [11, 'PermissionDeclined', 0],
      [12, '', 1],
      [13, '', 1],
      [14, 'PermissionObserved', 0],
      [16, 'CallbackSettingChanged CallingSettingChanged', 0],
      [17, 'UserCalled', 0],
      [18, 'PermissionGranted', 0],
      [19, '', 1],
      [20, 'CallAttempted', 0],
      [21, 'CallUnanswered', 0],
    ]);
  });

  it('facts carry the line as their source, and the template send is recognised as a request', async () => {
    const outcomes = await translateExample();
    const line9 = outcomes.find((o) => o.lineNo === 9)?.outcome;
    expect(line9).toMatchObject({
      facts: [
        {
          type: 'RequestSent',
          pair: { business: '109876543210987', user: '447700900456' },
          channel: 'template',
          tentative: false,
          source: { kind: 'api_call', ref: 'capture.ndjson:9' },
        },
      ],
    });
  });

  it('folded by the engine, the capture answers what Meta would answer', async () => {
    const facts: Fact[] = [];
    for (const { outcome } of await translateExample())
      if (outcome.kind === 'facts') facts.push(...outcome.facts);
    const engine = new Engine(new MemoryFactStore());
    const ingested = await engine.ingest(facts);
    expect(ingested.rejected).toEqual([]);
    const at = Date.UTC(2025, 11, 31, 16) / 1000;
    const ana = await engine.callPermissions({ business: '109876543210987', user: '447700900123' }, at);
    expect(ana.permission).toEqual({ status: 'temporary', expiration_time: 1767772860 });
    expect(ana.actions.find((a) => a.action_name === 'start_call')?.limits).toEqual([
      { time_period: 'PT24H', max_allowed: 100, current_usage: 1 },
    ]);
    // Ben declined the template request, then called: the callback setting granted him a temporary permission.
    const ben = await engine.callPermissions({ business: '109876543210987', user: '447700900456' }, at);
    expect(ben.permission).toEqual({ status: 'temporary', expiration_time: 1767790800 });
    expect(
      ben.actions.find((a) => a.action_name === 'send_call_permission_request')?.limits[0],
    ).toMatchObject({
      time_period: 'PT24H',
      current_usage: 1,
    });
  });
});
