/**
 * examples/catch, run as a user runs it: the custom env module trains from the CLI
 * (`--env ./examples/catch/catch-env.js`) and from code (examples/catch/train.mjs), and the example
 * page, built and served as `npm run example:catch` does, plays Catch in Chromium with the policy
 * runtime: with the committed weights and with the weights the CLI just trained.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample, exampleDir } from '../scripts/serve-example.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import CatchEnv, { BALLS } from '../examples/catch/catch-env.js';
import { checkEnv } from '../src/envs/check-env.js';
import { adaptEnv } from '../src/envs/custom-env.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { childEnv, ensureBuilt, root, runCli } from './support/cli-process.js';
import { needs } from './support/requirements.js';

const available = chromiumAvailable();
const work = mkdtempSync(join(tmpdir(), 'catch-example-'));
const cliWeights = join(work, 'cli_weights.npz');

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('examples/catch', () => {
  beforeAll(() => ensureBuilt());

  it('is a valid env: checkEnv finds nothing', () => {
    expect(checkEnv(adaptEnv(new CatchEnv()))).toEqual([]);
  });

  it('trains from the CLI as a custom env module and catches at least 9 balls of 10', () => {
    const r = runCli(['--env', './examples/catch/catch-env.js', '--backend', 'cpu', '--steps', '20000', '--out', join(work, 'run'), '--save', cliWeights, '--no-video', '--final-eval-episodes', '20'], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`env Catch-v0 from ${join(root, 'examples', 'catch', 'catch-env.js')}: checkEnv passed, no findings\n`);
    const final = /mean return (-?[\d.]+)/.exec(r.stdout.split('\n').filter((line) => line.includes('greedy')).at(-1) ?? '');
    expect(Number(final?.[1])).toBeGreaterThanOrEqual(0.9 * BALLS);
  }, 180_000);

  it('trains from code (examples/catch/train.mjs) and writes weights', () => {
    const out = join(work, 'code_weights.npz');
    const stdout = execFileSync(process.execPath, [join(root, 'examples', 'catch', 'train.mjs'), out, '--steps', '20000'], { cwd: work, env: childEnv(), encoding: 'utf8' });
    const best = /best greedy mean return (-?[\d.]+)/.exec(stdout);
    expect(Number(best?.[1])).toBeGreaterThanOrEqual(0.9 * BALLS);
  }, 180_000);
});

describe('the Catch page in Chromium', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    await buildExample('catch');
    server = await startStaticServer(exampleDir('catch'));
    browser = await launchChromium({ webgpu: false });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function play(setUp: (page: import('playwright-core').Page) => Promise<void>): Promise<{ weights: string; returns: number[] }> {
    const page = await browser.newPage();
    const problems = new PageProblems(page);
    await page.goto(`${server.url}index.html?interval=1`);
    await setUp(page);
    await page.waitForFunction(() => ((globalThis as { catchDemo?: { returns: number[] } }).catchDemo?.returns.length ?? 0) >= 5, undefined, { timeout: 60_000 });
    const score = await page.evaluate(() => (globalThis as unknown as { catchDemo: { weights: string; returns: number[] } }).catchDemo);
    expect(problems.messages).toEqual([]);
    await page.close();
    return score;
  }

  it('plays with the committed weights, catching at least 9 balls of 10 per episode on average', async () => {
    const score = await play(async () => undefined);
    expect(score.weights).toBe('catch_weights.npz');
    const mean = score.returns.reduce((a, b) => a + b, 0) / score.returns.length;
    expect(mean).toBeGreaterThanOrEqual(0.9 * BALLS);
  }, 90_000);

  it('plays the weights the CLI trained, given through the page file input', async () => {
    const score = await play(async (page) => {
      await page.waitForFunction(() => (globalThis as { catchDemo?: { weights: string } }).catchDemo?.weights === 'catch_weights.npz');
      await page.setInputFiles('#weights-file', cliWeights);
      await page.waitForFunction(() => (globalThis as { catchDemo?: { weights: string } }).catchDemo?.weights === 'cli_weights.npz');
    });
    expect(score.weights).toBe('cli_weights.npz');
    const mean = score.returns.reduce((a, b) => a + b, 0) / score.returns.length;
    expect(mean).toBeGreaterThanOrEqual(0.9 * BALLS);
  }, 90_000);
});
