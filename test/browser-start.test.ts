/**
 * The page's start on WebGPU in a real Chromium (SwiftShader): Start shows each phase in the status
 * line (the adapter, the shader files, the run's set-up, the first step's pipelines), and the
 * first step builds the pipelines of the kernels it dispatches and no others (pipelines are built
 * on first use: an up-front build of all 51 took most of the start). Counts, not timings.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { KERNEL_NAMES } from '../src/backend/webgpu/kernels.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { needs } from './support/requirements.js';

/**
 * The kernels of PQN's first iteration (pqn-cartpole-vector, whose envOn 'auto' settles to device
 * envs on WebGPU) on SwiftShader, whose 4-lane subgroups take linear-subgroup.wgsl's layer kernels:
 * fill, copy, the six of linear-subgroup.wgsl, tdLossLanes, layerNorm, layerNormBackward,
 * qLambdaReturns, cartPoleStep, epsilonGreedy, gatherRows and adamSmall.
 */
const PQN_FIRST_STEP_PIPELINES = 16;

const available = chromiumAvailable();

/** Starts recording every text the status line shows, from now on. */
async function recordStatusLine(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shown: string[] = [];
    (window as unknown as { statusLine: string[] }).statusLine = shown;
    const pill = document.getElementById('run-status') as HTMLElement;
    new MutationObserver(() => {
      const text = pill.textContent ?? '';
      if (shown[shown.length - 1] !== text) shown.push(text);
    }).observe(pill, { childList: true, characterData: true, subtree: true });
  });
}

describe('the page start on WebGPU in Chromium', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/start' });
    server = await startStaticServer(outDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows each start phase in the status line and builds only the pipelines the first step uses', async () => {
    const page = await browser.newPage();
    const problems = new PageProblems(page);
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    await page.evaluate(() => window.webRl?.ready);
    await page.selectOption('#algo', 'pqn');
    await page.selectOption('#backend', 'webgpu');
    expect(await page.inputValue('#preset')).toBe('pqn-cartpole-vector');
    await recordStatusLine(page);
    await page.click('#start');
    await page.waitForFunction(() => window.webRl?.state().start != null, undefined, { timeout: 120_000, polling: 50 });
    const state = await page.evaluate(() => window.webRl?.state());
    const shown = await page.evaluate(() => (window as unknown as { statusLine: string[] }).statusLine);
    const tooltip = await page.getAttribute('#run-status', 'title');
    await page.close();

    expect(state?.backend?.name).toBe('webgpu');
    // The phases, in order (each shown until the next: the configure's 'ready' comes between the set-up and the first step).
    const phases = shown.filter((text) => text !== 'working…' && text !== 'ready');
    expect(phases).toEqual([
      'requesting a WebGPU adapter and device…',
      expect.stringMatching(/^compiling \d+ WGSL shader files…$/),
      'setting up the PQN run…',
      'first step: compiling the GPU pipelines it uses…',
      expect.stringMatching(/^(training|finished)$/),
    ]);
    // One pipeline per kernel dispatched: under a third of the table's kernels (57).
    expect(state?.start?.kernelsDispatched).toBe(PQN_FIRST_STEP_PIPELINES);
    expect(state?.start?.gpuPipelines).toBe(PQN_FIRST_STEP_PIPELINES);
    expect(KERNEL_NAMES.length).toBeGreaterThan(3 * PQN_FIRST_STEP_PIPELINES);
    expect(state?.start?.seconds).toBeGreaterThan(0);
    expect(tooltip).toMatch(new RegExp(`^first env step [\\d.]+ s after Start · ${PQN_FIRST_STEP_PIPELINES} GPU pipelines compiled$`));
    expect(problems.messages).toEqual([]);
  });
});
