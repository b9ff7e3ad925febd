/**
 * The exported ONNX models in a browser: onnxruntime-web (its WebAssembly backend, one thread,
 * its .mjs and .wasm served from node_modules/onnxruntime-web/dist) in a real Chromium page runs
 * each kind of network's model, and its outputs match the engine's forward pass (CPU backend, in
 * Node) within 1e-5 relative, with the same greedy actions.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxExport } from '../src/export/onnx-export.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { root } from './support/cli-process.js';
import { EXPORT_CASES, decidedRows, engineOutputs, exportCaseFile, randomObservations } from './support/export-cases.js';
import { relativeError } from './support/relative-error.js';
import { needs } from './support/requirements.js';

const ROWS = 64;
const ORT_DIST = join(root, 'node_modules', 'onnxruntime-web', 'dist');
/** What the page loads of onnxruntime-web: its WebAssembly-only build and the runtime it fetches. */
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

const PAGE = `<!doctype html><link rel="icon" href="data:,"><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
// Runs the model at url on rows observations; returns each output's type, dims and values (int64 as numbers).
window.runModel = async (url, observations, rows) => {
  const session = await ort.InferenceSession.create(await (await fetch(url)).arrayBuffer(), { executionProviders: ['wasm'] });
  const input = new ort.Tensor('float32', Float32Array.from(observations), [rows, observations.length / rows]);
  const outputs = await session.run({ observation: input });
  const result = {};
  for (const [name, t] of Object.entries(outputs)) result[name] = { type: t.type, dims: t.dims, data: Array.from(t.data, Number) };
  await session.release();
  return result;
};
window.ready = true;
</script>`;

interface PageOutput {
  type: string;
  dims: number[];
  data: number[];
}

const available = chromiumAvailable();

describe('exported ONNX models in onnxruntime-web (Chromium)', needs('chromium', available), () => {
  const models = new Map<string, Uint8Array>();
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  const errors: Record<string, number> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      // onnxruntime-web's files at /ort/ (the test's page) and /example/ort/ (docs/examples/onnx-web.html's).
      const ort = /^(\/example)?\/ort\//.test(url) ? url.slice(url.indexOf('/ort/') + '/ort/'.length) : null;
      const model = models.get(url);
      if (url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (url === '/example/') res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(join(root, 'docs', 'examples', 'onnx-web.html')));
      else if (model !== undefined) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(model);
      else if (ort !== null && ORT_FILES.includes(ort)) {
        res.writeHead(200, { 'content-type': ort.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' }).end(readFileSync(join(ORT_DIST, ort)));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium({ webgpu: false });
    page = await browser.newPage();
    problems = new PageProblems(page);
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  });

  afterEach(() => {
    expect(problems.messages, 'console errors, page errors or failed requests').toEqual([]);
  });

  afterAll(async () => {
    console.log(`ONNX export vs the engine (onnxruntime-web, wasm, Chromium), max relative error: ${Object.entries(errors).map(([name, e]) => `${name} ${e.toExponential(2)}`).join('; ')}`);
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("docs/examples/onnx-web.html, served as it is, runs an exported CartPole-v1 DQN: the engine's Q-values and action", async () => {
    const c = EXPORT_CASES[0];
    const bytes = exportCaseFile(c);
    models.set('/example/policy.onnx', buildOnnxExport(bytes).model);
    const example = await browser.newPage();
    const exampleProblems = new PageProblems(example);
    await example.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/example/`);
    await example.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined);
    const result = (await example.evaluate(() => (window as unknown as { result: unknown }).result)) as { observation: number[]; qValues: number[]; action: number };
    const text = await example.textContent('#out');
    await example.close();
    expect(exampleProblems.messages).toEqual([]);
    const ref = await engineOutputs(bytes, Float32Array.from(result.observation), 1, null);
    expect(relativeError(result.qValues, ref.values)).toBeLessThanOrEqual(1e-5);
    expect(result.action).toBe((ref.actions as number[])[0]);
    expect(text).toBe(`Q-values ${result.qValues.map((q) => q.toFixed(3)).join(', ')}: action ${result.action}`);
  });

  EXPORT_CASES.forEach((c, index) => {
    it(c.name, async () => {
      const bytes = exportCaseFile(c);
      const exported = buildOnnxExport(bytes, { fileName: 'case.npz' });
      const url = `/model-${index}.onnx`;
      models.set(url, exported.model);
      const { obsDim, nActions, kind } = exported.policy;
      const observations = randomObservations(ROWS, obsDim, c.obsScale);
      const out = await page.evaluate(
        ([u, obs, rows]) => (window as unknown as { runModel: (u: string, o: number[], r: number) => Promise<Record<string, PageOutput>> }).runModel(u, obs, rows),
        [url, Array.from(observations), ROWS] as [string, number[], number],
      );
      const ref = await engineOutputs(bytes, observations, ROWS, c.box ?? null);
      const values = out[kind === 'q-network' ? 'q_values' : kind === 'categorical' ? 'logits' : 'mean'];
      expect(values.dims).toEqual([ROWS, nActions]);
      const error = relativeError(values.data, ref.values);
      errors[c.name] = error;
      expect(error).toBeLessThanOrEqual(1e-5);
      if (kind === 'gaussian') {
        expect(out.action.type).toBe('float32');
        expect(relativeError(out.action.data, ref.actions as Float32Array)).toBeLessThanOrEqual(1e-5);
      } else {
        expect(out.action.type).toBe('int64');
        const decided = decidedRows(ref.values, nActions);
        expect(decided.length).toBeGreaterThanOrEqual(ROWS - 4);
        expect(decided.map((r) => out.action.data[r])).toEqual(decided.map((r) => (ref.actions as number[])[r]));
      }
      if (ref.quantiles !== null) expect(relativeError(out.quantiles.data, ref.quantiles)).toBeLessThanOrEqual(1e-5);
    }, 60_000);
  });
});
