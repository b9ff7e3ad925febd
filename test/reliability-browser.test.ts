/**
 * The page in a real Chromium, given bad weights files: a corrupt or unusable .npz upload shows an
 * error on the page and leaves the current run and its weights exactly as they were (downloaded
 * before and after: the same bytes). Test titles start with their id in docs/reliability.md.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { encodeMlpWeightsNpz } from '../src/io/mlp-weights.js';
import { chromiumAvailable, launchChromium } from './support/browser-page.js';
import { flipBit } from './support/cli-process.js';
import { needs } from './support/requirements.js';

const available = chromiumAvailable();

async function download(page: Page): Promise<Uint8Array> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  return new Uint8Array(readFileSync(await file.path()));
}

/** A 4-16-16-2 network file whose last bias holds NaN (widths differ from the page's run). */
function nanWeights(): Uint8Array {
  const layer = (inputs: number, outputs: number) => ({ inputs, outputs, weight: new Float64Array(inputs * outputs).fill(0.1), bias: new Float64Array(outputs) });
  const layers = [layer(4, 16), layer(16, 16), layer(16, 2)];
  layers[2].bias[1] = Number.NaN;
  return encodeMlpWeightsNpz(layers);
}

describe('uploading bad weights to the page', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/reliability' });
    server = await startStaticServer(outDir);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    await page.evaluate(() => window.webRl?.ready);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Each case makes its bad file from the page's current weights file. */
  const cases: [string, string, (current: Uint8Array) => Uint8Array, RegExp][] = [
    ['page-upload-corrupt', 'a bit flipped inside an entry', (current) => flipBit(current, 300, 2), /fails its CRC-32 check/],
    ['page-upload-truncated', 'a truncated file', (current) => current.subarray(0, current.length - 40), /corrupt or truncated zip/],
    ['page-upload-not-npz', 'a text file', () => new TextEncoder().encode('not weights'), /not a zip archive/],
    ['page-upload-nan', 'weights holding NaN, for other layer widths', nanWeights, /arr_5 holds NaN at index 1: weights must be finite/],
  ];

  for (const [id, what, make, message] of cases) {
    it(`[${id}] ${what}: an error on the page, the run and its weights unchanged`, async () => {
      const before = await download(page);
      const hidden = await page.inputValue('#cfg-hidden');
      const bytes = make(before);
      consoleErrors.length = 0;
      await page.setInputFiles('#upload', { name: 'bad.npz', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
      await page.waitForFunction(() => document.querySelector('#notice')?.getAttribute('data-level') === 'error');
      expect(await page.textContent('#notice')).toMatch(message);
      expect(consoleErrors.filter((text) => !message.test(text))).toEqual([]);
      expect(await page.inputValue('#cfg-hidden')).toBe(hidden);
      expect(await page.isDisabled('#upload-button')).toBe(false);
      expect(await download(page)).toEqual(before);
      await page.evaluate(() => {
        const notice = document.querySelector('#notice') as HTMLElement;
        notice.hidden = true;
        notice.removeAttribute('data-level');
      });
    });
  }
});
