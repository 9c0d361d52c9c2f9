// The page in a real headless Chromium (Debian's chromium, driven by playwright-core): it loads from disk
// with no console error and no external request, shows every kind of mark, explains a mark on hover, zooms,
// and its screenshot is a picture, not a blank page.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, inkOf, launch, openFile } from '@callpermit/testing/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTimeline } from './model.js';
import { timelinePage } from './page.js';
import { historyOf, pair } from './test/histories.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const shots = join(tmpdir(), 'callpermit-timeline-shots');
mkdirSync(shots, { recursive: true });

async function pageOf(weeks: number) {
  const h = await historyOf(weeks);
  const model = await buildTimeline({ engine: h.engine, pair, policy: h.policy, refusals: h.refusals });
  return { model, html: timelinePage(model, `test timeline (${weeks} weeks)`) };
}

describe('the timeline page', () => {
  it('a 7-day history: loads cleanly, every element is there, hovering a call explains it', async () => {
    const { html } = await pageOf(1);
    expect(html).not.toMatch(/<img\b|<link\b(?![^>]*href="data:)|src="http|href="http/);
    const { page, errors } = await openFile(browser, html, 'week');
    const count = (selector: string) => page.locator(selector).count();
    expect(await count('.band-none')).toBeGreaterThanOrEqual(2);
    expect(await count('.band-temporary')).toBe(2);
    expect(await count('.band-permanent')).toBe(1);
    expect(await count('.expiry')).toBe(1);
    expect(await count('.request-bar')).toBe(2);
    expect(await count('.request-segment.state-declined')).toBe(1);
    expect(await count('.request-end.end-superseded')).toBe(1);
    expect(await count('.usage-line')).toBe(3);
    expect(await count('.limit-line')).toBe(3);
    expect(await count('.call-marker')).toBeGreaterThanOrEqual(1);
    expect(await count('.notice-marker')).toBeGreaterThanOrEqual(1);
    expect(await count('.refusal-marker')).toBe(2);
    expect(await count('#legend span')).toBeGreaterThanOrEqual(15);

    // At a one-day zoom each call is its own marker.
    await page.click('#zoom button:text-is("1 day")');
    expect(await count('.call-marker.call-connected:not(.call-user)')).toBe(2);
    expect(await count('.call-marker.call-unanswered')).toBe(6);
    expect(await count('.call-marker.call-rejected')).toBe(2);
    expect(await count('.call-user')).toBe(1);
    const plot = page.locator('#plot');
    expect(await plot.evaluate((e) => e.scrollWidth > e.clientWidth * 5)).toBe(true);

    const marker = page.locator('.call-marker.call-rejected').first();
    await marker.scrollIntoViewIfNeeded();
    await marker.hover();
    const tooltip = page.locator('#tooltip');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.textContent()).toMatch(/business call rejected/);

    await page.click('#zoom button:text-is("all")');
    const png = await page.screenshot({ path: join(shots, 'week.png'), fullPage: true });
    const { ink, colours } = await inkOf(page, png);
    expect(ink).toBeGreaterThan(0.08);
    expect(colours).toBeGreaterThan(20);
    expect(errors).toEqual([]);
  });

  it('a 90-day history: readable at full width (close marks grouped with counts), zoomable to a week', async () => {
    const { model, html } = await pageOf(13);
    expect(model.to - model.from).toBeGreaterThan(90 * 86400);
    const { page, errors } = await openFile(browser, html, 'quarter');
    expect(await page.locator('.band').count()).toBeGreaterThan(20);
    // At full width a day is a few pixels: calls of one afternoon are one group with its count.
    expect(await page.locator('.call-cluster').count()).toBeGreaterThan(10);
    const group = page.locator('.call-group').first();
    await group.hover();
    await expect.poll(() => page.locator('#tooltip').textContent()).toMatch(/^\d+ calls: /);
    const png = await page.screenshot({ path: join(shots, 'quarter.png'), fullPage: true });
    expect((await inkOf(page, png)).ink).toBeGreaterThan(0.08);

    await page.click('#zoom button:text-is("7 days")');
    const width = await page.locator('#plot svg').evaluate((e) => Number(e.getAttribute('width')));
    expect(width).toBeGreaterThan(12 * (await page.locator('#plot').evaluate((e) => e.clientWidth)));
    await page.screenshot({ path: join(shots, 'quarter-week.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
