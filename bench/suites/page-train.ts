/**
 * Opt-in (`npm run bench -- --only page-train`): training throughput of the real page (the
 * web-dist build, served on 127.0.0.1 to Debian's Chromium through playwright-core, WebGPU on
 * SwiftShader here) as a user runs it: backend and preset chosen in the menus, Start, and the
 * page's own env-steps/s over the run. WebGPU with the default preset (one env: a read back per env
 * step) and the vector preset (16 envs), and the CPU backend (WASM kernels) with the default.
 */
import type { Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { startStaticServer } from '../../scripts/serve-web.js';
import { PageProblems, launchChromium } from '../../test/support/browser-page.js';
import { round } from '../harness.js';

const STEPS = Number(process.env.BENCH_PAGE_TRAIN_STEPS ?? 6000);
const RUNS: { backend: 'webgpu' | 'cpu'; preset: 'default' | 'vector'; actingGroups?: number }[] = [
  { backend: 'webgpu', preset: 'default' },
  { backend: 'webgpu', preset: 'vector' },
  { backend: 'webgpu', preset: 'vector', actingGroups: 2 },
  { backend: 'cpu', preset: 'default' },
  { backend: 'cpu', preset: 'vector' },
];

async function train(page: Page, backend: string, preset: string, actingGroups: number): Promise<Record<string, unknown>> {
  // A finished run locks the menus until Reset.
  if ((await page.evaluate(() => window.webRl?.state().phase)) !== 'ready') {
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
  }
  await page.selectOption('#backend', backend);
  await page.selectOption('#preset', preset);
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = true;
  });
  await page.fill('#cfg-steps', String(STEPS));
  // No periodic evaluation: the figure is the training loop's.
  await page.fill('#cfg-evalFreq', '0');
  await page.fill('#cfg-actingGroups', String(actingGroups));
  await page.click('#reset');
  await page.waitForFunction((b) => window.webRl?.state().backend?.name === b && window.webRl.state().phase === 'ready', backend);
  const started = performance.now();
  await page.click('#start');
  await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 600_000, polling: 200 });
  const seconds = (performance.now() - started) / 1000;
  const state = await page.evaluate(() => window.webRl?.state());
  return {
    adapterOrKernels: state?.backend?.description,
    envStepsPerSecond: round((state?.counters?.steps ?? 0) / seconds),
    pageReportedStepsPerSecond: round(state?.counters?.stepsPerSecond ?? Number.NaN),
    updates: state?.counters?.updates,
  };
}

export default async function pageTrainSuite(): Promise<Record<string, unknown>> {
  const { outDir } = await buildWeb({ outDir: '.web-test/bench-page-train' });
  const server = await startStaticServer(outDir);
  const browser = await launchChromium();
  const out: Record<string, unknown> = { steps: STEPS };
  try {
    const page = await browser.newPage();
    const problems = new PageProblems(page);
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    await page.evaluate(() => window.webRl?.ready);
    for (const run of RUNS) {
      const groups = run.actingGroups ?? 1;
      process.stderr.write(`bench page-train: ${run.backend} ${run.preset} groups ${groups}\n`);
      out[`${run.backend}, ${run.preset} preset${groups > 1 ? `, ${groups} acting groups` : ''}`] = await train(page, run.backend, run.preset, groups);
    }
    if (problems.messages.length > 0) out.pageProblems = problems.messages;
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}
