import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from './progress.js';

/** The escape that starts the bar's cursor moves: the screen's lines are the text between them. */
const ESC = String.fromCharCode(27);

/** A terminal that keeps what is written to it. */
function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 200 });
  return { stream, text: () => written };
}

describe('progress bar', () => {
  it('a bar in bytes shows the bytes, their rate and the lines per second', async () => {
    const { stream, text } = terminal();
    const started = Date.now();
    const bar = progress('replay', 2_000_000, 'bytes', stream);
    bar.advance(1_000_000, 5000);
    await new Promise((r) => setTimeout(r, 200));
    bar.advance(1_000_000, 5000);
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    const last =
      text()
        .replaceAll(ESC, '\n')
        .split(/[\r\n]/)
        .filter((l) => l.includes('lines/s'))
        .at(-1) ?? '';
    expect(last).toContain('2.0 MB of 2.0 MB');
    const rate = Number(/\| (\d+) lines\/s/.exec(last)?.[1]);
    // 10,000 lines over the bar's life: at most the seconds measured here, at least the 200 ms waited.
    expect(rate).toBeGreaterThanOrEqual(Math.floor(10_000 / seconds));
    expect(rate).toBeLessThanOrEqual(10_000 / 0.2);
  });

  it('a bar in lines shows no second line rate, and nothing is drawn off a terminal', () => {
    const { stream, text } = terminal();
    const bar = progress('rebuild', 10, 'lines', stream);
    bar.advance(10);
    bar.stop();
    const last = text()
      .replaceAll(ESC, '\n')
      .split(/[\r\n]/)
      .filter((l) => l.includes('10 of 10'))
      .at(-1);
    expect(last?.match(/lines\/s/g)).toHaveLength(1);
    const off = terminal();
    Object.assign(off.stream, { isTTY: false });
    const silent = progress('replay', 10, 'bytes', off.stream);
    silent.advance(10, 1);
    silent.stop();
    expect(off.text()).toBe('');
  });
});
