/**
 * Opt-in (`npm run bench -- --only page-pqn-env-on`): PQN with its envs on the host against on the
 * device, in the real page (the web-dist build served on 127.0.0.1 to Debian's Chromium through
 * playwright-core; WebGPU on SwiftShader here), beside DQN's `vector` preset, all on WebGPU in one
 * page, one run after the other. Both PQN runs are `pqn-cartpole-device` (256 envs x 16 steps, 16
 * minibatches of 256), the host run with envOn 'host': the same preset and N.
 *
 * Each run is set up (Reset: backend and pipelines ready), started, and sampled once a second
 * (env steps, updates, the backend's read backs and submits) until BENCH_PAGE_ENV_ON_WINDOW_S
 * seconds (default 65) have passed since the first update, then paused. Two rates:
 * - steady state: env steps over that window (after learning starts), divided by its length;
 * - whole run: env steps from Start to the pause, divided by that time (the first iteration's
 *   pipeline compiles included).
 * BENCH_PAGE_ENV_ON_EXTRA=1 adds both PQN runs with 1 epoch of 1 minibatch (4,096 rows): mostly
 * rollout, to show where the time goes.
 */
import type { Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { startStaticServer } from '../../scripts/serve-web.js';
import { PageProblems, launchChromium } from '../../test/support/browser-page.js';
import { round } from '../harness.js';

const WINDOW_S = Number(process.env.BENCH_PAGE_ENV_ON_WINDOW_S ?? 65);
const EXTRA = process.env.BENCH_PAGE_ENV_ON_EXTRA === '1';

interface PageRun {
  label: string;
  algo: 'dqn' | 'pqn';
  preset: string;
  /** Form fields set after the preset (besides the large step budget and evalFreq 0). */
  fields: Record<string, string>;
}

const RUNS: PageRun[] = [
  { label: 'DQN vector preset', algo: 'dqn', preset: 'vector', fields: {} },
  { label: 'PQN host envs, pqn-cartpole-device settings', algo: 'pqn', preset: 'pqn-cartpole-device', fields: { envOn: 'host' } },
  { label: 'PQN device envs, pqn-cartpole-device', algo: 'pqn', preset: 'pqn-cartpole-device', fields: {} },
  ...(EXTRA
    ? [
        { label: 'PQN host envs, 1 epoch x 1 minibatch', algo: 'pqn' as const, preset: 'pqn-cartpole-device', fields: { envOn: 'host', updateEpochs: '1', numMinibatches: '1' } },
        { label: 'PQN device envs, 1 epoch x 1 minibatch', algo: 'pqn' as const, preset: 'pqn-cartpole-device', fields: { updateEpochs: '1', numMinibatches: '1' } },
      ]
    : []),
];

interface Sample {
  time: number;
  steps: number;
  updates: number;
  readbacks: number;
  submits: number;
}

async function sample(page: Page): Promise<Sample> {
  const c = await page.evaluate(() => window.webRl?.state().counters);
  if (!c) throw new Error('the page has no counters');
  return { time: performance.now(), steps: c.steps, updates: c.updates, readbacks: c.work.readbacks, submits: c.work.submits };
}

async function setField(page: Page, key: string, value: string): Promise<void> {
  const control = page.locator(`#cfg-${key}`);
  if (await control.evaluate((el) => el instanceof HTMLSelectElement)) await control.selectOption(value);
  else await control.fill(value);
}

async function measure(page: Page, run: PageRun): Promise<Record<string, unknown>> {
  if ((await page.evaluate(() => window.webRl?.state().phase)) !== 'ready') {
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
  }
  await page.selectOption('#algo', run.algo);
  await page.selectOption('#backend', 'webgpu');
  await page.selectOption('#preset', run.preset);
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = true;
  });
  // A budget no run reaches in the window, and no periodic evaluation: the figure is the training loop's.
  await setField(page, 'steps', '50000000');
  await setField(page, 'evalFreq', '0');
  for (const [key, value] of Object.entries(run.fields)) await setField(page, key, value);
  await page.click('#reset');
  await page.waitForFunction(() => window.webRl?.state().backend?.name === 'webgpu' && window.webRl.state().phase === 'ready');
  const start = await sample(page);
  await page.click('#start');
  let learning: Sample | null = null;
  let last = start;
  while (learning === null || last.time - learning.time < WINDOW_S * 1000) {
    await page.waitForTimeout(1000);
    last = await sample(page);
    if (learning === null && last.updates > 0) learning = last;
  }
  await page.click('#pause');
  await page.waitForFunction(() => window.webRl?.state().phase === 'paused');
  const end = await sample(page);
  const steady = { seconds: (last.time - learning.time) / 1000, steps: last.steps - learning.steps };
  const whole = { seconds: (end.time - start.time) / 1000, steps: end.steps };
  const state = await page.evaluate(() => window.webRl?.state());
  const numEnvs = Number(await page.inputValue('#cfg-numEnvs'));
  const numSteps = run.algo === 'pqn' ? Number(await page.inputValue('#cfg-numSteps')) : 1;
  const iterations = (last.steps - learning.steps) / (numEnvs * numSteps);
  return {
    adapter: state?.backend?.description,
    numEnvs,
    steadyEnvStepsPerSecond: round(steady.steps / steady.seconds),
    steadySeconds: round(steady.seconds),
    wholeRunEnvStepsPerSecond: round(whole.steps / whole.seconds),
    wholeRunSeconds: round(whole.seconds),
    steps: end.steps,
    updates: end.updates,
    steadyUpdatesPerSecond: round((last.updates - learning.updates) / steady.seconds),
    ...(run.algo === 'pqn'
      ? {
          steadyReadbacksPerIteration: round((last.readbacks - learning.readbacks) / iterations),
          steadySubmitsPerIteration: round((last.submits - learning.submits) / iterations),
          steadyMsPerIteration: round((steady.seconds * 1000) / iterations),
        }
      : { steadyReadbacksPerEnvStep: round((last.readbacks - learning.readbacks) / (last.steps - learning.steps)) }),
    canvasFrames: state?.canvasFrames,
    meanReturn100: round(state?.counters?.meanReturn100 ?? Number.NaN),
  };
}

export default async function pagePqnEnvOnSuite(): Promise<Record<string, unknown>> {
  const { outDir } = await buildWeb({ outDir: '.web-test/bench-page-env-on' });
  const server = await startStaticServer(outDir);
  const browser = await launchChromium();
  const out: Record<string, unknown> = { windowSeconds: WINDOW_S, browser: browser.version() };
  try {
    const page = await browser.newPage();
    const problems = new PageProblems(page);
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    await page.evaluate(() => window.webRl?.ready);
    for (const run of RUNS) {
      process.stderr.write(`bench page-pqn-env-on: ${run.label}\n`);
      const figures = await measure(page, run);
      process.stderr.write(`  ${JSON.stringify(figures)}\n`);
      out[run.label] = figures;
    }
    const rate = (label: string, key: string) => (out[label] as Record<string, number> | undefined)?.[key] ?? Number.NaN;
    const host = RUNS[1].label;
    const device = RUNS[2].label;
    out['device / host, steady state'] = round(rate(device, 'steadyEnvStepsPerSecond') / rate(host, 'steadyEnvStepsPerSecond'));
    out['device / host, whole run'] = round(rate(device, 'wholeRunEnvStepsPerSecond') / rate(host, 'wholeRunEnvStepsPerSecond'));
    if (problems.messages.length > 0) out.pageProblems = problems.messages;
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}
