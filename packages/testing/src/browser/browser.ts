// Debian's chromium driven by playwright-core, for tests of pages: launch it, open a page from disk or from a
// server and collect what went wrong, and measure a screenshot.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { CHROMIUM } from './chromiumSetup.js';

export type { Browser, Page };

export async function launch(): Promise<Browser> {
  const error = inject('chromiumError');
  if (error) throw new Error(error);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface OpenedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions while the page was open. */
  readonly errors: string[];
}

/** Writes the HTML to a file and opens it from disk, as a person would. */
export async function openFile(browser: Browser, html: string, name: string): Promise<OpenedPage> {
  const file = join(tmpdir(), `callpermit-${process.pid}-${name}.html`);
  writeFileSync(file, html);
  return openUrl(browser, `file://${file}`);
}

/**
 * Opens a page by its address and records console errors, uncaught exceptions and any request for something
 * other than the page itself (a self-contained page asks for nothing more).
 */
export async function openUrl(browser: Browser, url: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) errors.push(`external request: ${r.url()}`);
  });
  await page.goto(url);
  return { page, errors };
}

/**
 * How much of a screenshot is not background, and how many colours it has: the PNG is decoded by the browser
 * itself (a canvas), so no image library is needed.
 */
export async function inkOf(page: Page, png: Buffer): Promise<{ ink: number; colours: number }> {
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(image, 0, 0);
    const pixels = ctx.getImageData(0, 0, image.width, image.height).data;
    let ink = 0;
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b] = [pixels[i] ?? 0, pixels[i + 1] ?? 0, pixels[i + 2] ?? 0];
      if (r < 240 || g < 240 || b < 240) ink++;
      colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    }
    return { ink: ink / (pixels.length / 4), colours: colours.size };
  }, png.toString('base64'));
}
