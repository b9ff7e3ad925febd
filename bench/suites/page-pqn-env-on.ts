/**
 * Opt-in (`npm run bench -- --only page-pqn-env-on`): PQN with its envs on the host against on the
 * device, in the real page (the web-dist build served on 127.0.0.1 to Debian's Chromium through
 * playwright-core; WebGPU on SwiftShader here), beside DQN's `vector` preset, all on WebGPU in one
 * page, one run after the other. Both PQN runs are `pqn-cartpole-device` (256 envs x 16 steps, 16
 * minibatches of 256), the host run with envOn 'host': the same preset and N.
 *
 * Each run (the preset's budget and epsilon schedule, no periodic evaluation) is set up (Reset:
 * backend ready), started, and sampled once a second (env steps, updates, the backend's read backs
 * and submits) until BENCH_PAGE_ENV_ON_WINDOW_S seconds (default 65) have passed since the first
 * update (or the run ends), then paused. Two rates:
 * - steady state: env steps over that window (after learning starts), divided by its length;
 * - whole run: env steps from Start to the pause, divided by that time (the first iteration's
 *   pipeline compiles included).
 * BENCH_PAGE_ENV_ON_PAIRS=preset,update1,tiny picks the PQN pairs (default: preset; see PAIRS):
 * the others take update arithmetic away, to show where the time goes.
 */
import type { Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { startStaticServer } from '../../scripts/serve-web.js';
import { PageProblems, launchChromium } from '../../test/support/browser-page.js';
import { round } from '../harness.js';

const WINDOW_S = Number(process.env.BENCH_PAGE_ENV_ON_WINDOW_S ?? 65);
/** Which pairs of PQN runs (host, device) to measure, beside DQN's vector preset: see PAIRS. */
const PAIR_NAMES = (process.env.BENCH_PAGE_ENV_ON_PAIRS ?? 'preset').split(',');

interface PageRun {
  label: string;
  algo: 'dqn' | 'pqn';
  preset: string;
  /** Form fields set after the preset (besides evalFreq 0). */
  fields: Record<string, string>;
}

/**
 * PQN pairs, each run with host envs and with device envs (same preset, N and everything else):
 * - preset: `pqn-cartpole-device` as it is (256 envs x 16 steps, 4 epochs of 16 minibatches);
 * - update1: 1 epoch of 1 minibatch (a quarter of the update arithmetic);
 * - tiny: 1 epoch of 1 minibatch on a 16-16 network: the rollout's read backs are most of the time.
 */
const PAIRS: Record<string, { label: string; fields: Record<string, string> }> = {
  preset: { label: 'pqn-cartpole-device', fields: {} },
  update1: { label: 'pqn-cartpole-device, 1 epoch x 1 minibatch', fields: { updateEpochs: '1', numMinibatches: '1' } },
  tiny: { label: 'pqn-cartpole-device, 16-16 network, 1 epoch x 1 minibatch', fields: { hidden: '16,16', updateEpochs: '1', numMinibatches: '1' } },
};

const DQN_RUN: PageRun = { label: 'DQN vector preset', algo: 'dqn', preset: 'vector', fields: {} };

function pairRuns(name: string): [PageRun, PageRun] {
  const pair = PAIRS[name];
  if (pair === undefined) throw new Error(`BENCH_PAGE_ENV_ON_PAIRS: no pair '${name}' (${Object.keys(PAIRS).join(', ')})`);
  return [
    { label: `PQN host envs, ${pair.label}`, algo: 'pqn', preset: 'pqn-cartpole-device', fields: { ...pair.fields, envOn: 'host' } },
    { label: `PQN device envs, ${pair.label}`, algo: 'pqn', preset: 'pqn-cartpole-device', fields: { ...pair.fields, envOn: 'device' } },
  ];
}

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
  // The preset's budget (its epsilon schedule: with a budget far beyond it every env would explore,
  // and the host loop skips its forward pass when all do), and no periodic evaluation: the figure
  // is the training loop's.
  await setField(page, 'evalFreq', '0');
  for (const [key, value] of Object.entries(run.fields)) await setField(page, key, value);
  await page.click('#reset');
  await page.waitForFunction(() => window.webRl?.state().backend?.name === 'webgpu' && window.webRl.state().phase === 'ready');
  const start = await sample(page);
  await page.click('#start');
  let learning: Sample | null = null;
  let last = start;
  const finished = () => page.evaluate(() => window.webRl?.state().phase === 'finished');
  while (learning === null || last.time - learning.time < WINDOW_S * 1000) {
    await page.waitForTimeout(1000);
    last = await sample(page);
    if (learning === null && last.updates > 0) learning = last;
    if (await finished()) break;
  }
  if (learning === null) throw new Error(`${run.label}: no update before the run ended`);
  if (!(await finished())) {
    await page.click('#pause');
    await page.waitForFunction(() => ['paused', 'finished'].includes(window.webRl?.state().phase ?? ''));
  }
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
    epsilonAtEnd: round(state?.counters?.epsilon ?? Number.NaN),
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
    const measureRun = async (run: PageRun): Promise<Record<string, number>> => {
      process.stderr.write(`bench page-pqn-env-on: ${run.label}\n`);
      const figures = await measure(page, run);
      process.stderr.write(`  ${JSON.stringify(figures)}\n`);
      out[run.label] = figures;
      return figures as Record<string, number>;
    };
    await measureRun(DQN_RUN);
    for (const name of PAIR_NAMES) {
      const [host, device] = pairRuns(name);
      const h = await measureRun(host);
      const d = await measureRun(device);
      out[`device / host, ${PAIRS[name].label}`] = {
        steadyState: round(d.steadyEnvStepsPerSecond / h.steadyEnvStepsPerSecond),
        wholeRun: round(d.wholeRunEnvStepsPerSecond / h.wholeRunEnvStepsPerSecond),
      };
    }
    if (problems.messages.length > 0) out.pageProblems = problems.messages;
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}
