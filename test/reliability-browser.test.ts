/**
 * The page in a real Chromium, given bad weights files: a corrupt or unusable .npz upload shows an
 * error on the page and leaves the current run and its weights exactly as they were (downloaded
 * before and after: the same bytes). Zip bombs are refused within a second, raising the page's
 * renderer process's peak memory (where its worker reads the file) by less than 100 MB. Test
 * titles start with their id in docs/reliability.md.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { encodeMlpWeightsNpz } from '../src/io/mlp-weights.js';
import { qNetworkWeightShapes } from '../src/rl/q-network.js';
import { encodeWeightsNpz, networkRecord, type NetworkFields } from '../src/rl/weights-file.js';
import { chromiumAvailable, launchChromium } from './support/browser-page.js';
import { flipBit } from './support/cli-process.js';
import { descendants, peakKiB, resetPeak } from './support/peak-memory.js';
import { needs } from './support/requirements.js';
import { BOMB_KINDS, inflatingEntry, overlappingEntries } from './support/zip-bombs.js';

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

/** A PQN network's file (4-16-2 with LayerNorm, as PQN's downloads record it): sound, but not a network DQN trains. */
function pqnWeights(): Uint8Array {
  const network: NetworkFields = { env: 'CartPole-v1', hidden: [16], activation: 'relu', dueling: false, quantiles: 1, layerNorm: true, policy: 'q-network' };
  const shapes = qNetworkWeightShapes({ ...network, obsDim: 4, nActions: 2 });
  const arrays = shapes.map(([rows, cols]) => new Float64Array(rows * cols).fill(0.1));
  return encodeWeightsNpz(arrays, shapes, networkRecord(network, 4, 2));
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
    ['page-upload-other-algorithm', "a PQN network's weights into the DQN run", pqnWeights, /^bad\.npz: dqn cannot train its network: it has LayerNorm layers .*; choose pqn in the Algorithm menu to load it$/],
  ];

  async function clearNotice(): Promise<void> {
    await page.evaluate(() => {
      const notice = document.querySelector('#notice') as HTMLElement;
      notice.hidden = true;
      notice.removeAttribute('data-level');
    });
  }

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
      await clearNotice();
    });
  }

  it('[page-upload-zip-bomb] zip bombs (an entry inflating to 1 GB, however declared; arrays sharing one stream): refused within 1 s and 100 MB, the run unchanged', async () => {
    const before = await download(page);
    const hidden = await page.inputValue('#cfg-hidden');
    const bombs: [string, Uint8Array, RegExp][] = [
      ...BOMB_KINDS.map((kind): [string, Uint8Array, RegExp] => [kind, inflatingEntry(before, 'arr_0.npy', kind), /^bomb\.npz: (entry 'arr_0\.npy': holds \d+ bytes of data, its header's|arr_0 has shape \(\d+,\), the network needs|corrupt or truncated zip: entry 'arr_0\.npy' inflates to more than)/]),
      ['overlapping', overlappingEntries(before, ['arr_0.npy', 'arr_1.npy', 'arr_2.npy', 'arr_3.npy'], 256), /^bomb\.npz: corrupt or truncated zip: entries 'arr_\d\.npy' and 'arr_\d\.npy' share bytes/],
    ];
    consoleErrors.length = 0;
    for (const [what, bytes, message] of bombs) {
      // The page's own time: from the upload's change event to the error notice (handing the file
      // to the page through playwright takes 0.1-0.6 s more, which is not the page's doing).
      await page.evaluate(() => {
        const marks = window as unknown as { uploadAt?: number; noticeAt?: number };
        delete marks.uploadAt;
        delete marks.noticeAt;
        document.querySelector('#upload')?.addEventListener('change', () => (marks.uploadAt = performance.now()), { capture: true, once: true });
        const notice = document.querySelector('#notice') as HTMLElement;
        const observer = new MutationObserver(() => {
          if (notice.getAttribute('data-level') !== 'error') return;
          marks.noticeAt = performance.now();
          observer.disconnect();
        });
        observer.observe(notice, { attributes: true });
      });
      const renderers = descendants(process.pid, '--type=renderer');
      expect(renderers.length, 'renderer processes').toBeGreaterThan(0);
      const resident = renderers.map((pid) => resetPeak(pid));
      const started = performance.now();
      await page.setInputFiles('#upload', { name: 'bomb.npz', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
      await page.waitForFunction(() => (window as unknown as { noticeAt?: number }).noticeAt !== undefined);
      const withTransfer = performance.now() - started;
      // The renderer's peak covers the upload machinery too (the file crosses the devtools protocol as base64).
      const growthMiB = Math.max(...renderers.map((pid, i) => peakKiB(pid) - resident[i])) / 1024;
      const ms = await page.evaluate(() => {
        const marks = window as unknown as { uploadAt: number; noticeAt: number };
        return marks.noticeAt - marks.uploadAt;
      });
      console.log(`page upload (${what}, ${bytes.length} bytes): refused ${Math.round(ms)} ms after the upload (${Math.round(withTransfer)} ms with the transfer), renderer peak +${Math.round(growthMiB)} MiB`);
      expect(await page.textContent('#notice'), what).toMatch(message);
      expect(ms, `${what}: ms`).toBeLessThan(1000);
      expect(growthMiB, `${what}: renderer peak memory growth, MiB`).toBeLessThan(100);
      await clearNotice();
    }
    expect(consoleErrors.filter((text) => !/bomb\.npz/.test(text))).toEqual([]);
    expect(await page.inputValue('#cfg-hidden')).toBe(hidden);
    expect(await download(page)).toEqual(before);
  });
});
