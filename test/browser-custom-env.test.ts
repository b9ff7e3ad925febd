/**
 * A custom env in the browser page (docs/web.md, "A custom env"), in a real Chromium on the CPU
 * backend: the Catch example pasted into the page and trained by DQN with its frames on the
 * canvas and a greedy episode played from recorded frames; the same module by a same-origin URL;
 * DQN refused on a Box custom env, PPO training it (a note instead of frames), and PQN on Catch.
 * Bad modules (another origin, NaN, a step that never returns) are in
 * reliability-page-custom-env.test.ts. Every page fails on any console error, page error or failed
 * request, except the error notices a test provokes.
 *
 * SCREENSHOT=path.png also writes a screenshot of the page training the pasted Catch env.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from './support/browser-page.js';
import { CATCH_FRAME, CATCH_SOURCE, REACH_ENV, fillConfig, serveCustomEnvPage, startAndFinish, type CustomEnvPageServer } from './support/custom-env-page.js';
import { needs } from './support/requirements.js';

/** A short DQN run of Catch (90 steps an episode). */
const SHORT_DQN = { steps: '3000', learningStarts: '300', evalFreq: '1500', evalEpisodes: '2', hidden: '32,32' };

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
  let served: CustomEnvPageServer;

  beforeAll(async () => {
    served = await serveCustomEnvPage('browser-custom-env');
  }, 120_000);

  afterAll(async () => {
    await served?.close();
  });

  it('trains the pasted Catch module with DQN, drawing its frames, and plays a greedy episode from recorded frames', async () => {
    const { page, problems } = await served.openPage();
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
    // Catch's grey board, red ball and blue paddle on the white canvas (and scaling's edges).
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

  it('loads the same module from a same-origin URL', async () => {
    const { page, problems } = await served.openPage();
    await page.fill('#custom-env-url', './envs/catch-env.js');
    await fillConfig(page, { ...SHORT_DQN, steps: '600', evalFreq: '600' });
    await startAndFinish(page);
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.customEnv).toMatchObject({ id: 'Catch-v0', shown: `${served.server.url.replace(/\/$/, '')}/envs/catch-env.js`, registered: true });
    expect(state?.counters?.steps).toBe(600);
    expect(state?.canvasFrames).toBeGreaterThan(0);
    expect(state?.lastFrameSize).toEqual(CATCH_FRAME);
    expect(problems.messages).toEqual([]);
    await page.close();
  }, 60_000);

  it("refuses DQN on a Box custom env with the menus' message, trains it with PPO (a note instead of frames), then PQN on Catch", async () => {
    const { page, problems } = await served.openPage();
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
