/**
 * A custom env in the browser page (docs/web.md, "A custom env"), in a real Chromium on the CPU
 * backend: the Catch example pasted into the page and trained by DQN with its frames on the
 * canvas; the same module by a same-origin URL; a cross-origin URL refused; an env that returns
 * NaN stopped by checkEnv's finding; an env whose step() never returns timed out, the training
 * worker replaced, and a built-in env trained afterwards. Every page fails on any console error,
 * page error or failed request, except the error notices a test provokes.
 *
 * SCREENSHOT=path.png also writes a screenshot of the page training the pasted Catch env.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { ENV_CHECK_TIMEOUT_S } from '../src/envs/traced-env-check.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { needs } from './support/requirements.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CATCH_SOURCE = readFileSync(join(ROOT, 'examples/catch/catch-env.js'), 'utf8');

/** Catch's frames: 5 columns x 10 rows of 32-pixel cells. */
const CATCH_FRAME = { width: 160, height: 320 };

/** A small env whose first observation is NaN: checkEnv's error, before any training. */
const NAN_ENV = `export const id = 'NanEnv-v0';
export default class NanEnv {
  observationSpace = { shape: [2], low: -1, high: 1 };
  actionSpace = { n: 2 };
  reset() { return [[Number.NaN, 0], {}]; }
  step() { return [[0, 0], 0, false, false, {}]; }
}`;

/** An env whose step() never returns. */
const HANGING_ENV = `export const id = 'Hang-v0';
export default class HangEnv {
  observationSpace = { shape: [1], low: -1, high: 1 };
  actionSpace = { n: 2 };
  reset() { return [[0], {}]; }
  step() { for (;;) {} }
}`;

/** A Box-action env without frames: move x toward 0.5; it ignores the seed (checkEnv's warning). */
const REACH_ENV = `export const id = 'Reach-v0';
export const maxEpisodeSteps = 50;
export default class Reach {
  observationSpace = { shape: [2], low: -1, high: 1 };
  actionSpace = { shape: [1], low: -0.25, high: 0.25 };
  reset() { this.x = 0; return [[this.x, 0.5], {}]; }
  step(action) {
    if (action.length !== 1) throw new RangeError('Reach: one number per action');
    this.x = Math.max(-1, Math.min(1, this.x + Math.max(-0.25, Math.min(0.25, action[0]))));
    return [[this.x, 0.5], -Math.abs(this.x - 0.5), false, false, {}];
  }
}`;

/** A short DQN run of Catch (90 steps an episode). */
const SHORT_DQN = { steps: '3000', learningStarts: '300', evalFreq: '1500', evalEpisodes: '2', hidden: '32,32' };

/** Sets form fields by config key (opening "More hyper-parameters" for the hidden ones). */
async function fillConfig(page: Page, values: Record<string, string>): Promise<void> {
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = true;
  });
  for (const [key, value] of Object.entries(values)) await page.locator(`#cfg-${key}`).fill(value);
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = false;
  });
}

/** How many distinct colours the env canvas shows (a blank canvas: 1). */
async function canvasColours(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.getElementById('env-canvas') as HTMLCanvasElement;
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]);
    return colours.size;
  });
}

const available = chromiumAvailable();

describe('a custom env module in the page (Chromium, CPU backend)', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/custom-env', sourcemap: false });
    mkdirSync(join(outDir, 'envs'), { recursive: true });
    copyFileSync(join(ROOT, 'examples/catch/catch-env.js'), join(outDir, 'envs/catch-env.js'));
    server = await startStaticServer(outDir);
    browser = await launchChromium({ webgpu: false });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh page on the CPU backend with "Custom module…" chosen, and its problems collected. */
  async function openPage(): Promise<{ page: Page; problems: PageProblems }> {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const problems = new PageProblems(page);
    await page.goto(server.url);
    await page.evaluate(() => window.webRl?.ready);
    await page.selectOption('#backend', 'cpu');
    await page.selectOption('#cfg-env', 'custom-module');
    expect(await page.isVisible('#custom-env')).toBe(true);
    return { page, problems };
  }

  async function startAndFinish(page: Page): Promise<void> {
    await page.click('#start');
    await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 60_000, polling: 100 });
  }

  it('trains the pasted Catch module with DQN, drawing its frames, and plays a greedy episode from recorded frames', async () => {
    const { page, problems } = await openPage();
    await page.fill('#custom-env-source', CATCH_SOURCE);
    await fillConfig(page, SHORT_DQN);
    await page.click('#start');
    // Its frames on the canvas while it trains (scaled from Catch's own size).
    await page.waitForFunction(() => (window.webRl?.state().canvasFrames ?? 0) > 3, undefined, { timeout: 30_000, polling: 50 });
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 60_000, polling: 100 });
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.customEnv).toMatchObject({ id: 'Catch-v0', shown: 'pasted module', rendersFrames: true, registered: true, findings: [] });
    expect(state?.counters?.steps).toBe(3000);
    expect(state?.counters?.episodes).toBe(Math.floor(3000 / 90));
    expect(Number.isFinite(state?.counters?.loss)).toBe(true);
    expect(state?.chartPoints).toBeGreaterThan(20);
    expect(state?.lastFrameSize).toEqual(CATCH_FRAME);
    expect(await canvasColours(page)).toBeGreaterThanOrEqual(3);
    expect(await page.textContent('#custom-env-findings')).toContain("checkEnv found nothing wrong with 'Catch-v0'");
    expect(await page.inputValue('#cfg-env')).toBe('Catch-v0');
    expect(await page.textContent('#stage-caption')).toMatch(/^Catch-v0 · episode \d+ · step \d+$/);

    // A greedy episode: 90 steps, its 91 frames recorded in the worker and played back.
    await page.click('#greedy');
    await page.waitForFunction(() => window.webRl?.state().greedy !== null, undefined, { timeout: 20_000 });
    expect(await page.evaluate(() => window.webRl?.state().greedy)).toMatchObject({ envId: 'Catch-v0', length: 90, seed: 0 });
    await page.waitForFunction(() => document.getElementById('stage-caption')?.textContent?.startsWith('seed 0 · step 90 / 90'), undefined, { timeout: 20_000 });
    expect(problems.messages).toEqual([]);
    await page.close();
  }, 90_000);

  it('loads the same module from a same-origin URL and refuses a cross-origin one, saying why', async () => {
    const { page, problems } = await openPage();
    await page.fill('#custom-env-url', 'http://example.com/catch-env.js');
    await page.click('#start');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toMatch(/env module URL 'http:\/\/example\.com\/catch-env\.js' is refused: it is not on this page's origin \(http:\/\/127\.0\.0\.1:\d+\), and the module's code would run in the training worker/);
    expect(await page.evaluate(() => window.webRl?.state().phase)).toBe('ready');
    expect(await page.evaluate(() => window.webRl?.state().counters?.steps ?? 0)).toBe(0);
    // The refusal is the page's only error: nothing was fetched from the other origin.
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: env module URL .* is refused/)]);
    problems.messages.length = 0;

    await page.fill('#custom-env-url', './envs/catch-env.js');
    await fillConfig(page, { ...SHORT_DQN, steps: '600', evalFreq: '600' });
    await startAndFinish(page);
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.customEnv).toMatchObject({ id: 'Catch-v0', shown: `${server.url.replace(/\/$/, '')}/envs/catch-env.js`, registered: true });
    expect(state?.counters?.steps).toBe(600);
    expect(state?.canvasFrames).toBeGreaterThan(0);
    expect(problems.messages).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows checkEnv’s finding for an env that returns NaN and trains nothing', async () => {
    const { page, problems } = await openPage();
    await page.fill('#custom-env-source', NAN_ENV);
    await page.click('#start');
    await page.waitForSelector('#custom-env-findings li[data-level="error"]');
    const findings = await page.$$eval('#custom-env-findings li', (items) => items.map((li) => li.textContent));
    expect(findings).toContain('error: reset(): observation[0] is NaN, expected a number in [-1, 1]');
    expect(await page.textContent('#notice')).toMatch(/env module 'pasted module' \(env 'NanEnv-v0'\) fails checkEnv with \d+ errors? .*nothing was trained/);
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.phase).toBe('ready');
    expect(state?.counters?.steps ?? 0).toBe(0);
    expect(state?.customEnv).toMatchObject({ id: 'NanEnv-v0', registered: false });
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: env module 'pasted module' \(env 'NanEnv-v0'\) fails checkEnv/)]);
    await page.close();
  }, 30_000);

  it('times out an env whose step() never returns, replaces the worker, then trains a built-in env', async () => {
    const { page, problems } = await openPage();
    await page.fill('#custom-env-source', HANGING_ENV);
    const started = Date.now();
    await page.click('#start');
    await page.waitForFunction(() => window.webRl?.state().workersStarted === 2, undefined, { timeout: (ENV_CHECK_TIMEOUT_S + 10) * 1000, polling: 100 });
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(ENV_CHECK_TIMEOUT_S - 0.5);
    expect(seconds).toBeLessThan(ENV_CHECK_TIMEOUT_S + 5);
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    expect(await page.textContent('#notice')).toBe(
      `env module 'pasted module': the env's step() did not return within ${ENV_CHECK_TIMEOUT_S} s while checkEnv ran it (an endless loop?); the training worker was stopped and a new one started, and nothing was trained. Fix the env, or choose another env`,
    );
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: env module 'pasted module': the env's step\(\) did not return/)]);
    problems.messages.length = 0;

    // The new worker opens its backend and trains CartPole.
    await page.selectOption('#cfg-env', 'CartPole-v1');
    expect(await page.isVisible('#custom-env')).toBe(false);
    await fillConfig(page, { steps: '400', learningStarts: '100', evalFreq: '400', evalEpisodes: '1' });
    await startAndFinish(page);
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.backend?.name).toBe('cpu');
    expect(state?.counters?.steps).toBe(400);
    expect(state?.canvasFrames).toBeGreaterThan(0);
    expect(state?.lastFrameSize).toEqual({ width: 600, height: 400 });
    expect(problems.messages).toEqual([]);
    await page.close();
  }, 60_000);

  it('refuses DQN on a Box custom env with the menus\' message, trains it with PPO (a note instead of frames), then PQN on Catch', async () => {
    const { page, problems } = await openPage();
    await page.fill('#custom-env-source', REACH_ENV);
    await page.click('#start');
    await page.waitForSelector('#form-error:not([hidden])');
    expect(await page.textContent('#form-error')).toContain('Environment Reach-v0 has continuous actions (Box(-0.25, 0.25, (1,), float32)), which DQN cannot take (it needs Discrete actions)');
    // The seed warning is listed, and did not stop the module from loading.
    expect(await page.$$eval('#custom-env-findings li', (items) => items.map((li) => `${(li as HTMLElement).dataset.level} ${li.textContent}`))).toEqual([
      expect.stringMatching(/^warning warning: reset\(\{ seed: 1 \}\) gave the same first observation as reset\(\{ seed: 0 \}\): the seed may be ignored/),
    ]);
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: .*Reach-v0 has continuous actions/)]);
    problems.messages.length = 0;

    await page.selectOption('#algo', 'ppo');
    expect(await page.inputValue('#cfg-env')).toBe('Reach-v0');
    await fillConfig(page, { steps: '1024', numEnvs: '2', numSteps: '128', evalFreq: '0' });
    await startAndFinish(page);
    let state = await page.evaluate(() => window.webRl?.state());
    expect(state?.counters?.steps).toBe(1024);
    expect(state?.counters?.episodes).toBe(20);
    expect(Number.isFinite(state?.counters?.loss)).toBe(true);
    expect(state?.canvasFrames).toBe(0);
    expect(await page.isHidden('#env-canvas')).toBe(true);
    expect(await page.textContent('#env-note')).toBe("Reach-v0 renders no frames (no render() giving RGBA frames when built with renderMode 'rgb_array'): nothing to draw.");

    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    await page.selectOption('#algo', 'pqn');
    await page.fill('#custom-env-source', CATCH_SOURCE);
    await fillConfig(page, { steps: '2048', numEnvs: '8', numSteps: '32', numMinibatches: '4', updateEpochs: '2', hidden: '32,32', evalFreq: '1024', evalEpisodes: '1' });
    await startAndFinish(page);
    state = await page.evaluate(() => window.webRl?.state());
    expect(state?.customEnv?.id).toBe('Catch-v0');
    expect(state?.counters?.steps).toBe(2048);
    expect(state?.counters?.updates).toBe((2048 / (8 * 32)) * 2 * 4);
    expect(state?.canvasFrames).toBeGreaterThan(0);
    expect(state?.lastFrameSize).toEqual(CATCH_FRAME);
    expect(await page.isVisible('#env-canvas')).toBe(true);
    expect(problems.messages).toEqual([]);
    await page.close();
  }, 60_000);
});
