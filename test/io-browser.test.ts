/**
 * The browser-safe io and metrics modules, bundled with esbuild as the web page bundles them, run
 * in a real Chromium page: strict-mode ES modules, no Node built-ins. (gif-encoder-2's LZW
 * encoder failed exactly here, so this is not a formality.)
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, chromiumAvailable, serveFiles, type ServedFiles } from './support/browser-page.js';
import { needs } from './support/requirements.js';

const CHROMIUM = CHROMIUM_PATH;
const available = chromiumAvailable();

const PAGE_SCRIPT = `
import { encodeGif, writeNpz, readNpz, encodePng, decodePng, encodeCheckpoint, decodeCheckpoint, encodeMlpWeightsNpz, decodeMlpWeightsNpz } from './io.js';
import { renderLearningCurve } from './metrics.js';
const w = 40, h = 30;
const flat = new Uint8Array(w * h * 4).fill(200);
const dotted = flat.map((v, i) => (i % 7 ? v : 0));
const noisy = flat.map((v, i) => (i * 37 + (i >> 6) * 11) & 255);
const gif = encodeGif([flat, dotted, noisy], { width: w, height: h });
const img = new Image();
img.src = URL.createObjectURL(new Blob([gif], { type: 'image/gif' }));
await img.decode();
const npz = readNpz(writeNpz([{ dtype: '<f8', shape: [2], data: new Float64Array([1, 2]) }], { compress: true }));
const weights = decodeMlpWeightsNpz(encodeMlpWeightsNpz([{ inputs: 1, outputs: 2, weight: new Float64Array([3, 4]), bias: new Float64Array([5, 6]) }]));
const png = decodePng(encodePng(noisy, w, h));
const checkpoint = decodeCheckpoint(encodeCheckpoint({ arrays: { a: new Float32Array([3]) }, meta: { x: 1 } }));
const plot = renderLearningCurve({ series: [{ label: 'a', steps: [1, 2, 3], returns: [1, 5, 3] }], threshold: 4 });
const plotImg = new Image();
plotImg.src = URL.createObjectURL(new Blob([plot.png], { type: 'image/png' }));
await plotImg.decode();
window.result = {
  gif: [img.naturalWidth, img.naturalHeight],
  npz: npz.get('arr_0').data[1],
  weights: Array.from(weights[0].bias),
  png: png.rgba[5] === noisy[5],
  checkpoint: checkpoint.meta.x,
  plot: [plotImg.naturalWidth, plotImg.naturalHeight],
};
`;

describe('io and metrics in Chromium', needs('chromium', available), () => {
  let server: Awaited<ReturnType<typeof serveFiles>> | undefined;
  afterAll(() => server?.close());

  it('encode and decode every format in a page with no errors', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const bundle = async (entry: string) => {
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, absWorkingDir: root });
      return result.outputFiles[0].text;
    };
    const files: ServedFiles = {
      '/io.js': ['text/javascript', await bundle('src/io/index.ts')],
      '/metrics.js': ['text/javascript', await bundle('src/metrics/index.ts')],
      '/main.js': ['text/javascript', PAGE_SCRIPT],
      '/': ['text/html', '<!doctype html><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>'],
    };
    expect(files['/io.js'][1]).not.toMatch(/require\("(fs|zlib|stream|events|buffer)"\)/);
    server = await serveFiles(files);
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(server.url);
      // On a page error the result never comes: stop waiting and report the errors instead.
      await page.waitForFunction(() => 'result' in window, null, { timeout: 20_000 }).catch(() => undefined);
      expect(errors).toEqual([]);
      const result = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(result).toEqual({ gif: [40, 30], npz: 2, weights: [5, 6], png: true, checkpoint: 1, plot: [960, 540] });
    } finally {
      await browser.close();
    }
  });
});
