/**
 * Bad custom env modules in the browser page (docs/reliability.md, "Custom env modules in the
 * page"; docs/web.md, "A custom env"), in a real Chromium on the CPU backend: a cross-origin URL,
 * a module that throws on import or has no default export, an env that returns NaN, an env whose
 * step() never returns. Each shows its error in the page and trains nothing; the page fails the
 * test on any other console error, page error or failed request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_CHECK_TIMEOUT_S } from '../src/envs/traced-env-check.js';
import { chromiumAvailable } from './support/browser-page.js';
import { HANGING_ENV, NAN_ENV, NO_DEFAULT_MODULE, THROWING_MODULE, fillConfig, serveCustomEnvPage, startAndFinish, type CustomEnvPageServer } from './support/custom-env-page.js';
import { needs } from './support/requirements.js';

const available = chromiumAvailable();

describe('bad custom env modules in the page (Chromium, CPU backend)', needs('chromium', available), () => {
  let served: CustomEnvPageServer;

  beforeAll(async () => {
    served = await serveCustomEnvPage('reliability-page-custom-env');
  }, 120_000);

  afterAll(async () => {
    await served?.close();
  });

  it('[page-env-cross-origin] refuses a module URL on another origin, saying why, and fetches nothing', async () => {
    const { page, problems } = await served.openPage();
    await page.fill('#custom-env-url', 'http://example.com/catch-env.js');
    await page.click('#start');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toMatch(
      /^env module URL 'http:\/\/example\.com\/catch-env\.js' is refused: it is not on this page's origin \(http:\/\/127\.0\.0\.1:\d+\), and the module's code would run in the training worker with this page's origin\. Serve the module from this origin, or paste its source$/,
    );
    expect(await page.evaluate(() => window.webRl?.state().phase)).toBe('ready');
    expect(await page.evaluate(() => window.webRl?.state().counters?.steps ?? 0)).toBe(0);
    // The refusal is the page's only error: no request went to the other origin.
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: env module URL .* is refused/)]);
    await page.close();
  }, 30_000);

  it('[page-env-throws-on-import] names a pasted module that throws on import, and one without a default export', async () => {
    const { page, problems } = await served.openPage();
    await page.fill('#custom-env-source', THROWING_MODULE);
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('notice')?.textContent?.includes('threw on import'));
    expect(await page.textContent('#notice')).toBe("env module 'pasted module' threw on import: Cannot read properties of null (reading 'width')");
    expect(await page.evaluate(() => window.webRl?.state().phase)).toBe('ready');

    await page.fill('#custom-env-source', NO_DEFAULT_MODULE);
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('notice')?.textContent?.includes('no default export'));
    expect(await page.textContent('#notice')).toBe("env module 'pasted module': has no default export; export default the env class, or a factory function (options) => env");
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.phase).toBe('ready');
    expect(state?.counters?.steps ?? 0).toBe(0);
    expect(state?.workersStarted).toBe(1);
    expect(problems.messages).toEqual([expect.stringMatching(/threw on import/), expect.stringMatching(/has no default export/)]);
    await page.close();
  }, 30_000);

  it('[page-env-returns-nan] lists checkEnv’s finding for an env whose observation is NaN, and trains nothing', async () => {
    const { page, problems } = await served.openPage();
    await page.fill('#custom-env-source', NAN_ENV);
    await page.click('#start');
    await page.waitForSelector('#custom-env-findings li[data-level="error"]');
    // Every finding by its message, errors first: the NaN, then the warning that the seed changes nothing.
    const findings = await page.$$eval('#custom-env-findings li', (items) => items.map((li) => `${(li as HTMLElement).dataset.level} ${li.textContent}`));
    expect(findings).toEqual([
      'error error: reset(): observation[0] is NaN, expected a number in [-1, 1]',
      'warning warning: reset({ seed: 1 }) gave the same first observation as reset({ seed: 0 }): the seed may be ignored',
    ]);
    expect(await page.textContent('#notice')).toBe("env module 'pasted module' (env 'NanEnv-v0') fails checkEnv with 1 error (listed under the module); nothing was trained");
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.phase).toBe('ready');
    expect(state?.counters?.steps ?? 0).toBe(0);
    expect(state?.customEnv).toMatchObject({ id: 'NanEnv-v0', registered: false });
    // The env was not registered: the env menu has no NanEnv-v0.
    expect(await page.$$eval('#cfg-env option', (options) => options.map((o) => (o as HTMLOptionElement).value))).not.toContain('NanEnv-v0');
    expect(problems.messages).toEqual([expect.stringMatching(/^console\.error: env module 'pasted module' \(env 'NanEnv-v0'\) fails checkEnv/)]);
    await page.close();
  }, 30_000);

  it('[page-env-step-never-returns] times out an env whose step() never returns, replaces the worker, then trains a built-in env', async () => {
    const { page, problems } = await served.openPage();
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
});
