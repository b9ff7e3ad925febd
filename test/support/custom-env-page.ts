/**
 * The built page served for the custom env tests (test/browser-custom-env.test.ts,
 * test/reliability-page-custom-env.test.ts): built into .web-test/<name> with the Catch example
 * copied to envs/catch-env.js beside it (a same-origin URL), Chromium without WebGPU, and pages
 * opened on the CPU backend with "Custom module…" chosen. Also the small env modules they paste.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildWeb } from '../../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../../scripts/serve-web.js';
import { PageProblems, launchChromium } from './browser-page.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Catch example's source (examples/catch/catch-env.js). */
export const CATCH_SOURCE = readFileSync(join(ROOT, 'examples/catch/catch-env.js'), 'utf8');

/** Catch's frames: 5 columns x 10 rows of 32-pixel cells. */
export const CATCH_FRAME = { width: 160, height: 320 };

/** A small env whose first observation is NaN (its only error: it refuses invalid actions); it ignores the seed (a warning). */
export const NAN_ENV = `export const id = 'NanEnv-v0';
export default class NanEnv {
  observationSpace = { shape: [2], low: -1, high: 1 };
  actionSpace = { n: 2 };
  reset() { return [[Number.NaN, 0], {}]; }
  step(action) {
    if (action !== 0 && action !== 1) throw new RangeError('NanEnv: action 0 or 1');
    return [[0, 0], 0, false, false, {}];
  }
}`;

/** An env whose step() never returns. */
export const HANGING_ENV = `export const id = 'Hang-v0';
export default class HangEnv {
  observationSpace = { shape: [1], low: -1, high: 1 };
  actionSpace = { n: 2 };
  reset() { return [[0], {}]; }
  step() { for (;;) {} }
}`;

/** A module whose top level throws. */
export const THROWING_MODULE = `const level = null;
export const width = level.width;
export default class Never {}`;

/** A module with no default export. */
export const NO_DEFAULT_MODULE = `export class Grid {}`;

/** A Box-action env without frames: move x toward 0.5; it ignores the seed (checkEnv's warning). */
export const REACH_ENV = `export const id = 'Reach-v0';
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

/** Sets form fields by config key (opening "More hyper-parameters" for the hidden ones). */
export async function fillConfig(page: Page, values: Record<string, string>): Promise<void> {
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

/** Presses Start and waits for the run to finish. */
export async function startAndFinish(page: Page): Promise<void> {
  await page.click('#start');
  await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 60_000, polling: 100 });
}

/** The served page and the browser: open pages with `openPage`, close everything with `close`. */
export interface CustomEnvPageServer {
  server: StaticServer;
  openPage(): Promise<{ page: Page; problems: PageProblems }>;
  close(): Promise<void>;
}

/** Builds the page into .web-test/`name` (with envs/catch-env.js), serves it and launches Chromium. */
export async function serveCustomEnvPage(name: string): Promise<CustomEnvPageServer> {
  const { outDir } = await buildWeb({ outDir: `.web-test/${name}`, sourcemap: false });
  mkdirSync(join(outDir, 'envs'), { recursive: true });
  copyFileSync(join(ROOT, 'examples/catch/catch-env.js'), join(outDir, 'envs/catch-env.js'));
  const server = await startStaticServer(outDir);
  let browser: Browser;
  try {
    browser = await launchChromium({ webgpu: false });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    server,
    async openPage() {
      const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
      const problems = new PageProblems(page);
      await page.goto(server.url);
      await page.evaluate(() => window.webRl?.ready);
      await page.selectOption('#backend', 'cpu');
      await page.selectOption('#cfg-env', 'custom-module');
      expect(await page.isVisible('#custom-env')).toBe(true);
      return { page, problems };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
