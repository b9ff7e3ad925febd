/**
 * PQN with envs on the device (`envOn: 'device'`) in the real page (Debian's Chromium through
 * playwright-core, WebGPU on SwiftShader here): chosen from the menus (the `pqn-cartpole-device`
 * preset), it trains on WebGPU and on the page's CPU backend; the curve gains the episodes and the
 * canvas draws env 0 from the snapshots the render loop asks for, each one small read back taken
 * between iterations, so a run's read backs stay at the episode statistics and the loss per rollout
 * plus at most one per iteration for the canvas: never one per step. Every test fails on any
 * console error, page error or failed request.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { pqnMinibatchSize, pqnPreset } from '../src/rl/pqn-config.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { needs } from './support/requirements.js';

const PRESET = pqnPreset('pqn-cartpole-device');
const N = PRESET.numEnvs;
const T = PRESET.numSteps;
const ITERATIONS = 5;
const STEPS = ITERATIONS * N * T;
const UPDATES = ITERATIONS * PRESET.updateEpochs * PRESET.numMinibatches;

/** Whether the env canvas shows CartPole (its black cart on a white background): the count of dark pixels. */
async function darkPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.getElementById('env-canvas') as HTMLCanvasElement;
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 40 && data[i + 1] < 40 && data[i + 2] < 40) count++;
    return count;
  });
}

/** Chooses PQN, `backend` and the device-env preset in the menus, with ITERATIONS rollouts and no evaluation, and trains it to the end. */
async function trainOnDevice(page: Page, backend: 'webgpu' | 'cpu'): Promise<void> {
  if ((await page.evaluate(() => window.webRl?.state().phase)) !== 'ready') {
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
  }
  await page.selectOption('#algo', 'pqn');
  await page.selectOption('#backend', backend);
  await page.selectOption('#preset', 'pqn-cartpole-device');
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = true;
  });
  // The form shows the preset: device envs, hundreds of them.
  expect(await page.inputValue('#cfg-envOn')).toBe('device');
  expect(await page.inputValue('#cfg-numEnvs')).toBe(String(N));
  await page.fill('#cfg-steps', String(STEPS));
  // No periodic evaluation: its greedy episodes run on the host env, a read back per step.
  await page.fill('#cfg-evalFreq', '0');
  const chartBefore = await page.locator('#chart canvas').screenshot();
  await page.click('#start');
  await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 240_000, polling: 100 });
  // The last snapshot asked for (after the last iteration) is drawn within a frame or two.
  await page.waitForTimeout(300);

  const state = await page.evaluate(() => window.webRl?.state());
  expect(state?.backend?.name).toBe(backend);
  expect(state?.counters?.steps).toBe(STEPS);
  expect(state?.counters?.updates).toBe(UPDATES);
  expect(Number.isFinite(state?.counters?.loss)).toBe(true);
  const episodes = state?.counters?.episodes ?? 0;
  // 256 envs x 16 steps of a near-random policy end a few hundred episodes an iteration.
  expect(episodes).toBeGreaterThan(100);
  expect(state?.chartPoints).toBeGreaterThanOrEqual(episodes);
  expect((await page.locator('#chart canvas').screenshot()).equals(chartBefore)).toBe(false);
  // The canvas: env 0 drawn from snapshots, with its caption.
  expect(state?.canvasFrames).toBeGreaterThanOrEqual(2);
  expect(await darkPixels(page)).toBeGreaterThan(1000);
  expect(await page.textContent('#stage-caption')).toMatch(/^CartPole-v1 · episode \d+ · step \d+$/);
  // Read backs: per rollout its episode statistics and the loss, plus at most one canvas snapshot
  // per iteration (and one once it has finished): far below one per vector step (T per rollout).
  const readbacks = state?.counters?.work.readbacks ?? Infinity;
  expect(readbacks).toBeGreaterThanOrEqual(2 * ITERATIONS);
  expect(readbacks).toBeLessThanOrEqual(3 * ITERATIONS + 1);
  console.log(`device envs in the page (${state?.backend?.description}): ${STEPS} steps, ${UPDATES} updates (minibatches of ${pqnMinibatchSize(PRESET)}), ${readbacks} read backs, ${state?.counters?.work.submits} submits, ${state?.canvasFrames} canvas frames, ${episodes} episodes`);
}

const available = chromiumAvailable();

describe('PQN with device envs in the page', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/browser-device-envs' });
    server = await startStaticServer(outDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    problems = new PageProblems(page);
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    await page.evaluate(() => window.webRl?.ready);
  });

  afterEach(() => {
    expect(problems.messages, 'console errors, page errors or failed requests').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`trains ${N} device envs on WebGPU: the curve and the canvas update, and the read backs stay per rollout`, async () => {
    await trainOnDevice(page, 'webgpu');
  }, 300_000);

  it(`trains ${N} device envs on the page's CPU backend the same way`, async () => {
    await trainOnDevice(page, 'cpu');
  }, 300_000);
});
