/**
 * The same WebGPU backend in Chromium (SwiftShader's Vulkan, navigator.gpu): the backend is
 * bundled with webgpuBrowserPlugin, served from 127.0.0.1 (navigator.gpu needs a secure
 * context), and runs the conformance cases (all but the big matmuls) in the page: on SwiftShader
 * 'auto' takes linear-subgroup.wgsl's kernels with 4-lane subgroups for the layer ops, and the
 * forced paths check the other matmul and layer kernels. Console errors, page errors and uncaptured
 * WebGPU errors fail the test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuBrowserPlugin } from '../src/backend/webgpu/web-build.js';
import { CHROMIUM_PATH, chromiumAvailable } from './support/browser-page.js';
import { needs } from './support/requirements.js';

const CHROMIUM = CHROMIUM_PATH;
const available = chromiumAvailable();

/** Runs in the page: every small conformance case on a WebGpuBackend over navigator.gpu. */
const PAGE_ENTRY = `
import { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { KERNELS } from '../src/backend/webgpu/kernels.js';
import { subgroupLanes } from '../src/backend/webgpu/pipelines.js';
import { OP_CASES, compareOutputs } from './support/op-cases.js';
window.runConformance = async () => {
  const backend = await WebGpuBackend.create();
  const failures = [];
  let ran = 0;
  for (const c of OP_CASES) {
    if (c.big) continue;
    try {
      const message = compareOutputs(c, await c.run(backend), c.reference());
      if (message !== null) failures.push(message);
    } catch (error) {
      failures.push(c.name + ': ' + (error && error.message ? error.message : String(error)));
    }
    ran++;
  }
  const dispatched = backend.kernelDispatches();
  const subgroupKernels = Object.keys(KERNELS).filter((k) => KERNELS[k].file === 'linear-subgroup');
  const subgroupDispatched = subgroupKernels.filter((k) => dispatched[k] > 0);
  // The workgroup-memory paths too, and the register-blocked layer kernels (auto takes the subgroup ones on SwiftShader).
  for (const matmulPath of ['tiled', 'small', 'blocked']) {
    const forced = await WebGpuBackend.create({ device: backend.device, matmulPath });
    for (const c of OP_CASES) {
      const layer = c.op === 'linear' || c.op === 'linearGrad' || c.op === 'linearInputGrad';
      if (c.big || c.name.includes('accumulate') || !(c.op === 'matmul' || (layer && matmulPath === 'blocked'))) continue;
      const message = compareOutputs(c, await c.run(forced), c.reference());
      if (message !== null) failures.push(matmulPath + ': ' + message);
      ran++;
    }
    forced.destroy();
  }
  const adapter = backend.adapterDescription;
  const software = backend.software;
  const lanes = subgroupLanes(backend.device);
  backend.destroy();
  return { ran, failures, adapter, software, lanes, subgroupKernels, subgroupDispatched };
};
`;

let server: Server | null = null;
let browser: Browser | null = null;
let url = '';

beforeAll(async () => {
  if (!available) return;
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: new URL('.', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    plugins: [webgpuBrowserPlugin],
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const html = '<!doctype html><html><head><link rel="icon" href="data:,"><script type="module" src="/bundle.js"></script></head><body></body></html>';
  server = createServer((req, res) => {
    if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--enable-unsafe-webgpu'] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('WebGPU backend in Chromium (SwiftShader)', needs('chromium', available), () => {
  it('passes the conformance cases with no console or WebGPU errors', async () => {
    const page = await (browser as Browser).newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => 'runConformance' in window);
    const result = await page.evaluate(async () => {
      type Result = { ran: number; failures: string[]; adapter: string; software: boolean; lanes: number | null; subgroupKernels: string[]; subgroupDispatched: string[] };
      const run = (window as unknown as { runConformance: () => Promise<Result> }).runConformance;
      return run();
    });
    await page.close();
    expect(result.failures).toEqual([]);
    expect(result.ran).toBeGreaterThan(200);
    expect(result.adapter).toMatch(/swiftshader/i);
    expect(result.software).toBe(true); // SwiftShader: the CPU-style kernels
    // Its 4-lane subgroups: the cases of the fused layer ops ran on every kernel of linear-subgroup.wgsl,
    // built with subgroup-lanes4.wgsl.
    expect(result.lanes).toBe(4);
    expect(result.subgroupKernels).toHaveLength(6);
    expect(result.subgroupDispatched).toEqual(result.subgroupKernels);
    expect(problems).toEqual([]);
  });
});
