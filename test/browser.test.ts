/**
 * The browser page in a real Chromium (Debian's, driven by playwright-core, WebGPU through
 * SwiftShader here), served from the built static folder on 127.0.0.1. Every test fails on any
 * console error, page error or failed request. With CI=true a missing browser fails the file.
 *
 * UPDATE_WEB_SCREENSHOT=1 trains longer in the training test and rewrites docs/web-screenshot.png.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../scripts/build-web.js';
import { startStaticServer, type StaticServer } from '../scripts/serve-web.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { decodeWeightsNpz, inferMlpHiddenWidths } from '../src/rl/weights-file.js';
import { qNetworkWeightShapes } from '../src/rl/q-network.js';
import { ALGORITHMS, ALGORITHM_NAMES, withAlgorithm } from '../src/rl/algorithms.js';
import { schemaKeys, valueOutOfRange, type FieldSpec } from '../src/rl/config-schema.js';
import { runConformanceCases, type ConformanceResult } from '../src/web/conformance-case.js';
import type { PageTestHooks } from '../src/web/app.js';
import { CUSTOM_ENV_CHOICE } from '../src/web/env-module-source.js';
import { PageProblems, chromiumAvailable, launchChromium } from './support/browser-page.js';
import { needs } from './support/requirements.js';
import { relativeError } from './support/relative-error.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const UPDATE_SCREENSHOT = process.env.UPDATE_WEB_SCREENSHOT === '1';
const run = promisify(execFile);

/** Runs the training CLI (src/cli/train.ts, as bin/train.js does from dist/) and returns its stdout. */
async function cli(args: string[]): Promise<string> {
  const entry = pathToFileURL(join(ROOT, 'src/cli/train.ts')).href;
  const script = `const { main } = await import(${JSON.stringify(entry)}); await main(['node', 'train', ...process.argv.slice(1)]);`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], { cwd: ROOT, timeout: 90_000 });
  return stdout;
}

async function counterText(page: Page, name: string): Promise<string> {
  return (await page.textContent(`[data-counter="${name}"]`)) ?? '';
}

/** Sets form fields by DqnConfig key (opening "More hyper-parameters" for the hidden ones). */
async function fillConfig(page: Page, values: Record<string, string>): Promise<void> {
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = true;
  });
  for (const [key, value] of Object.entries(values)) {
    const control = page.locator(`#cfg-${key}`);
    const kind = await control.evaluate((el) => (el instanceof HTMLSelectElement ? 'select' : (el as HTMLInputElement).type));
    if (kind === 'select') await control.selectOption(value);
    else if (kind === 'checkbox') await control.setChecked(value === 'true');
    else await control.fill(value);
  }
  await page.evaluate(() => {
    const details = document.querySelector('details');
    if (details) details.open = false;
  });
}

/** A field of an algorithm's form: its key, its schema entry, and its value in the preset the form shows. */
interface FormField {
  key: string;
  field: FieldSpec<unknown>;
  value: unknown;
}
function formFields(algo: string, presetName: string): FormField[] {
  return withAlgorithm<FormField[]>(algo, (entry) => {
    const values = entry.preset(presetName);
    return schemaKeys(entry.config.fields).map((key) => ({ key: String(key), field: entry.config.fields[key] as FieldSpec<unknown>, value: values[key] }));
  });
}

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

/** Every counter's text on the page, by name. */
async function counterTexts(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-counter]', (elements) => Object.fromEntries(elements.map((e) => [(e as HTMLElement).dataset.counter ?? '', e.textContent ?? ''])));
}

/** A small PQN run: 2048 env steps in 8 iterations of 8 envs x 32 steps, 2 epochs of 4 minibatches each (64 updates), evaluated once. */
const PQN_RUN = { steps: '2048', numEnvs: '8', numSteps: '32', numMinibatches: '4', updateEpochs: '2', hidden: '32,32', evalFreq: '1024', evalEpisodes: '2' };
const PQN_UPDATES = (2048 / (8 * 32)) * 2 * 4;

/**
 * Chooses PQN in the menu, trains PQN_RUN to its end and checks what the page shows: the budget and
 * the updates, every counter a number (ε from PQN's schedule), the chart's points, and the canvas drawn.
 */
async function trainPqn(page: Page, backend: 'cpu' | 'webgpu'): Promise<void> {
  await page.selectOption('#algo', 'pqn');
  await fillConfig(page, PQN_RUN);
  const chartBefore = await page.locator('#chart canvas').screenshot();
  await page.click('#start');
  await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 120_000, polling: 100 });
  const state = await page.evaluate(() => window.webRl?.state());
  expect(state?.backend?.name).toBe(backend);
  expect(state?.counters?.steps).toBe(2048);
  expect(state?.counters?.updates).toBe(PQN_UPDATES);
  expect(Number.isFinite(state?.counters?.loss)).toBe(true);
  expect(state?.counters?.episodes).toBeGreaterThan(20);
  const texts = await counterTexts(page);
  for (const [name, text] of Object.entries(texts)) {
    expect(text, name).not.toMatch(/NaN|Infinity|^–$|^$/);
  }
  expect(texts.steps).toBe('2,048');
  expect(texts.updates).toBe(String(PQN_UPDATES));
  // Epsilon decays from 1 to 0.05 over half the budget: at the end it is 0.05.
  expect(texts.epsilon).toBe('0.050');
  expect(Number(texts.episodes.replace(/,/g, ''))).toBe(state?.counters?.episodes);
  expect(state?.chartPoints).toBeGreaterThanOrEqual(state?.counters?.episodes ?? Infinity);
  expect(Number(await page.getAttribute('#chart', 'data-points'))).toBe(state?.chartPoints);
  expect((await page.locator('#chart canvas').screenshot()).equals(chartBefore)).toBe(false);
  expect(await darkPixels(page)).toBeGreaterThan(1000);
  expect(await page.textContent('#stage-caption')).toMatch(/^CartPole-v1 · episode \d+ · step \d+$/);
}

const available = chromiumAvailable();

describe('the web page in Chromium', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/browser' });
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

  it("with 'auto', trains on the CPU because the only adapter is a software one, and says so; WebGPU is one click away, with the vector preset", async () => {
    const auto = await page.evaluate(() => window.webRl?.state().backend);
    expect(auto?.requested).toBe('auto');
    expect(auto?.name).toBe('cpu');
    expect(auto?.fallbackReason).toMatch(/^the only WebGPU adapter is a software one \(.*swiftshader.*\), slower than the CPU here/i);
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.textContent('#notice')).toBe(`Training runs on the CPU backend because ${auto?.fallbackReason}.`);
    expect(await page.inputValue('#preset')).toBe('default');

    // Choosing WebGPU in the menu suggests the vector preset (16 envs), and Reset opens it.
    await page.selectOption('#backend', 'webgpu');
    expect(await page.inputValue('#preset')).toBe('vector');
    expect(await page.inputValue('#cfg-numEnvs')).toBe('16');
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().backend?.name === 'webgpu' && window.webRl.state().phase === 'ready');
    const info = await page.evaluate(() => window.webRl?.state().backend);
    expect(info?.requested).toBe('webgpu');
    expect(info?.fallbackReason).toBeNull();
    expect(info?.description).toMatch(/swiftshader/i);
    const badge = page.locator('#backend-badge');
    expect(await badge.getAttribute('data-backend')).toBe('webgpu');
    expect(await badge.textContent()).toBe(`WebGPU · ${info?.description}`);
    expect(await page.isVisible('#notice')).toBe(false);
  });

  it('gives the Node CPU backend numbers for a fixed op case and a few DQN updates', async () => {
    const inPage = (await page.evaluate(() => window.webRl?.conformance())) as ConformanceResult;
    const cpu = new CpuBackend();
    const inNode = await runConformanceCases(cpu);
    cpu.destroy();
    expect(inPage.backend).toBe('webgpu');
    expect(Object.keys(inPage.ops).sort()).toEqual(Object.keys(inNode.ops).sort());
    // A short chain of float32 ops through tanh: the conformance suite's transcendental
    // tolerance, 1e-5 of the largest value (measured here: about 1.5e-7).
    for (const [name, want] of Object.entries(inNode.ops)) {
      const got = inPage.ops[name];
      if (name === 'argmax') expect(got, name).toEqual(want);
      else expect(relativeError(got, want), name).toBeLessThan(1e-5);
    }
    // Five Adam updates of a ReLU net (measured here: within 7e-6 of the largest weight). Float32
    // summation order differs between the backends and Adam's first steps move a weight by about
    // lr * sign(gradient), so a gradient within rounding of zero could move the other way: the
    // bound, 2e-3 of the largest weight, allows one such flip and nothing systematic.
    expect(inPage.training.losses.length).toBe(inNode.training.losses.length);
    expect(relativeError(inPage.training.losses, inNode.training.losses), 'losses').toBeLessThan(1e-5);
    inNode.training.weights.forEach((want, i) => {
      expect(relativeError(inPage.training.weights[i], want), `parameter ${i}`).toBeLessThan(2e-3);
    });
    // The updates did something: the weights moved from their start.
    expect(inNode.training.losses[0]).not.toBe(inNode.training.losses[4]);
  });

  it('trains 8 envs on WebGPU: the asked number of updates, and the counters, canvas and chart change', async () => {
    const config: Record<string, string> = UPDATE_SCREENSHOT
      ? {
          // The vector preset as the page's WebGPU loads it, run for 10k steps (pinned so the screenshot can be remade).
          steps: '10000', learningStarts: '1000', numEnvs: '16', trainFreq: '1', gradientSteps: '8', hidden: '64,64', evalFreq: '2500', evalEpisodes: '5',
        }
      : // N > 1 envs on WebGPU: 8 envs, a round of 4 updates every 2 vector steps (16 env steps).
        { steps: '400', learningStarts: '96', numEnvs: '8', trainFreq: '2', gradientSteps: '4', hidden: '32,32', batchSize: '32', evalFreq: '0' };
    await fillConfig(page, config);
    const steps = Number(config.steps);
    // A round every trainFreq vector steps of numEnvs env steps each, once past learningStarts env steps.
    const roundEvery = Number(config.trainFreq) * Number(config.numEnvs);
    const expectedUpdates = (Math.floor(steps / roundEvery) - Math.floor(Number(config.learningStarts) / roundEvery)) * Number(config.gradientSteps);
    const chartBefore = await page.locator('#chart canvas').screenshot();
    expect(await counterText(page, 'steps')).toBe('0');

    await page.click('#start');
    // While it runs, the rate counters show non-zero speeds.
    const rateShown = (name: string) => page.waitForFunction((n) => !['0', ''].includes(document.querySelector(`[data-counter="${n}"]`)?.textContent ?? ''), name, { timeout: 60_000 });
    await rateShown('stepsPerSecond');
    await rateShown('updatesPerSecond');
    await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: UPDATE_SCREENSHOT ? 590_000 : 90_000, polling: 100 });

    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.counters?.steps).toBe(steps);
    expect(state?.counters?.updates).toBe(expectedUpdates);
    expect(Number.isFinite(state?.counters?.loss)).toBe(true);
    expect(await counterText(page, 'steps')).toBe(steps.toLocaleString('en-US'));
    expect(await counterText(page, 'updates')).toBe(expectedUpdates.toLocaleString('en-US'));
    expect(await counterText(page, 'loss')).not.toBe('–');
    expect(Number((await counterText(page, 'episodes')).replace(/,/g, ''))).toBe(state?.counters?.episodes);
    // One chart row per finished episode (evaluations add theirs), and the plot was redrawn.
    expect(state?.chartPoints).toBeGreaterThanOrEqual(state?.counters?.episodes ?? Infinity);
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBe(state?.chartPoints);
    const chartAfter = await page.locator('#chart canvas').screenshot();
    expect(chartAfter.equals(chartBefore)).toBe(false);
    // The canvas shows the env (the black cart on a white background).
    expect(await darkPixels(page)).toBeGreaterThan(1000);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(ARTIFACTS, 'web-after-training.png'), shot);
    if (UPDATE_SCREENSHOT) writeFileSync(join(ROOT, 'docs/web-screenshot.png'), shot);
  }, UPDATE_SCREENSHOT ? 600_000 : undefined);

  it('downloads the current weights as an .npz the CLI format reads', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const bytes = new Uint8Array(readFileSync(await download.path()));
    const hidden = inferMlpHiddenWidths(bytes, download.suggestedFilename());
    expect(hidden).toEqual(UPDATE_SCREENSHOT ? [64, 64] : [32, 32]);
    const arrays = decodeWeightsNpz(bytes, qNetworkWeightShapes({ obsDim: 4, nActions: 2, hidden: hidden ?? [], dueling: false, quantiles: 1 }), download.suggestedFilename());
    expect(arrays.length).toBe(6);
    expect(arrays[0].some((w) => w !== 0)).toBe(true);
  });

  it('loads weights trained by the CLI, and a greedy episode returns what the CLI gets in Node', async () => {
    const dir = join(ARTIFACTS, 'browser-cli-weights');
    mkdirSync(dir, { recursive: true });
    const weights = join(dir, 'cli_weights.npz');
    await cli([
      // RL-Zoo-like settings, pinned here (not taken from a preset that may change), shortened:
      // about 200 to 300 steps of balance after 5000 env steps, in about a second.
      '--backend', 'cpu', '--seed', '5', '--steps', '5000', '--hidden', '32,16', '--lr', '0.0023', '--batch-size', '64',
      '--buffer-size', '10000', '--learning-starts', '1000', '--train-freq', '256', '--gradient-steps', '128',
      '--target-update', 'hard', '--target-update-interval', '10', '--no-double-dqn', '--init', 'he_uniform', '--loss', 'huber',
      '--epsilon-schedule', 'linear-step', '--epsilon-end', '0.04', '--exploration-fraction', '0.16',
      '--eval-freq', '2500', '--eval-episodes', '3', '--final-eval-episodes', '0', '--no-video', '--checkpoint-every', '0',
      '--save', weights, '--out', join(dir, `run-${Date.now()}`),
    ]);
    const file = readFileSync(weights);
    await page.setInputFiles('#upload', { name: 'cli_weights.npz', mimeType: 'application/octet-stream', buffer: file });
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.startsWith('Loaded cli_weights.npz'));
    expect(await page.inputValue('#cfg-hidden')).toBe('32,16');

    const returns: number[] = [];
    for (const seed of [11, 12]) {
      const out = await cli(['--mode', 'eval', '--backend', 'cpu', '--load', weights, '--seed', String(seed), '--final-eval-episodes', '1', '--no-video']);
      const match = /^returns: (\S+)$/m.exec(out);
      expect(match, out).not.toBeNull();
      const nodeReturn = Number(match?.[1]);

      await page.fill('#greedy-seed', String(seed));
      await page.click('#greedy');
      await page.waitForFunction((s) => window.webRl?.state().greedy?.seed === s, seed);
      const greedy = await page.evaluate(() => window.webRl?.state().greedy);
      expect(greedy?.return, `seed ${seed}`).toBe(nodeReturn);
      expect(greedy?.length).toBe(nodeReturn);
      expect(await page.textContent('#greedy-result')).toContain(`Greedy return ${nodeReturn.toLocaleString('en-US')}`);
      returns.push(nodeReturn);
    }
    // The weights balance the pole for a while, so equal returns mean equal action sequences of some length.
    expect(Math.max(...returns)).toBeGreaterThan(100);
  });

  it('the schema walk on the page: for every algorithm chosen in the menu, a control for every field of its schema, the choices the schema lists, and an out-of-range value refused with an error naming the field', async () => {
    expect(await page.$$eval('#algo option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([...ALGORITHM_NAMES]);
    // The page also logs each refusal it shows (console.error): those are expected here.
    const refusals = new Set<string>();
    for (const algoName of ALGORITHM_NAMES) {
      await page.selectOption('#algo', algoName);
      const fields = formFields(algoName, await page.inputValue('#preset'));
      // The form is this algorithm's: one control per field of its schema, no other.
      expect(await page.$$eval('#main-fields [id^="cfg-"], #more-fields [id^="cfg-"]', (controls) => controls.map((c) => c.id).sort())).toEqual(fields.map(({ key }) => `cfg-${key}`).sort());
      for (const { key, field } of fields) {
        const id = `#cfg-${key}`;
        expect(await page.locator(id).count(), id).toBe(1);
        if (field.kind.type === 'choice') {
          // The env menu ends with "Custom module…" (docs/web.md, "A custom env").
          const extra = key === 'env' ? [CUSTOM_ENV_CHOICE] : [];
          expect(await page.$$eval(`${id} option`, (options) => options.map((o) => (o as HTMLOptionElement).value)), id).toEqual([...field.kind.choices(), ...extra]);
          continue;
        }
        const bad = valueOutOfRange(field.kind);
        if (bad === null) continue;
        const good = await page.inputValue(id);
        await fillConfig(page, { [key]: Array.isArray(bad) ? bad.join(',') : String(bad) });
        await page.click('#reset');
        // The refusal names the field by its label (waited for: the previous field's error is still shown until then).
        await page
          .waitForFunction((label) => (document.querySelector<HTMLElement>('#form-error')?.textContent ?? '').startsWith(label), field.label, { timeout: 5000 })
          .catch(() => undefined);
        const shownError = (await page.textContent('#form-error')) ?? '';
        refusals.add(`console.error: ${shownError}`);
        expect(shownError, id).toMatch(new RegExp(`^${field.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:| must )`));
        // Back to the preset's value for the next field.
        await fillConfig(page, { [key]: good });
      }
    }
    // A valid form opens a run and hides the error: waited for, since the phase may read 'ready' before the reset's configure ends.
    await page.click('#reset');
    await page.waitForSelector('#form-error', { state: 'hidden', timeout: 30_000 });
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    expect(await page.isHidden('#form-error')).toBe(true);
    const unexpected = problems.messages.filter((message) => !refusals.has(message));
    problems.messages.splice(0, problems.messages.length, ...unexpected);
  });

  it("the Algorithm menu: choosing PQN shows its presets and its schema's form filled from its preset; the backend menu picks its WebGPU flavour; DQN's come back", async () => {
    const options = (selector: string) => page.$$eval(`${selector} option`, (all) => all.map((o) => (o as HTMLOptionElement).value));
    await page.selectOption('#backend', 'cpu');
    await page.selectOption('#algo', 'dqn');
    await page.selectOption('#algo', 'pqn');
    expect(await options('#preset')).toEqual([...ALGORITHMS.pqn.presetNames]);
    expect(await page.inputValue('#preset')).toBe('pqn-cartpole');
    expect(await page.getAttribute('#algo option[value="pqn"]', 'title')).toBe(ALGORITHMS.pqn.summary);
    expect(await page.textContent('h1')).toBe('PQN, live on WebGPU');
    for (const { key, field, value } of formFields('pqn', 'pqn-cartpole')) {
      const control = page.locator(`#cfg-${key}`);
      if (field.kind.type === 'boolean') expect(await control.isChecked(), key).toBe(value);
      else expect(await control.inputValue(), key).toBe(Array.isArray(value) ? value.join(',') : String(value));
      // Its label and tooltip are the schema's.
      expect(await page.locator(`label[for="cfg-${key}"]`).getAttribute('title'), key).toBe(field.doc);
      expect(await page.locator(`label[for="cfg-${key}"] span`).textContent(), key).toBe(field.label);
    }
    expect(await page.locator('#cfg-batchSize').count()).toBe(0);
    // The backend menu switches to PQN's WebGPU flavour (32 envs x 16 steps) and back, as --backend does.
    await page.selectOption('#backend', 'webgpu');
    expect(await page.inputValue('#preset')).toBe('pqn-cartpole-vector');
    expect(await page.inputValue('#cfg-numEnvs')).toBe('32');
    await page.selectOption('#backend', 'cpu');
    expect(await page.inputValue('#preset')).toBe('pqn-cartpole');
    expect(await page.inputValue('#cfg-numEnvs')).toBe('4');
    await page.selectOption('#backend', 'webgpu');
    expect(await page.inputValue('#preset')).toBe('pqn-cartpole-vector');
    // Back to DQN: its presets and form, its preset for CartPole on the WebGPU the menu asks for.
    await page.selectOption('#algo', 'dqn');
    expect(await options('#preset')).toEqual([...ALGORITHMS.dqn.presetNames]);
    expect(await page.inputValue('#preset')).toBe('vector');
    expect(await page.inputValue('#cfg-numEnvs')).toBe('16');
    expect(await page.locator('#cfg-numSteps').count()).toBe(0);
    expect(await page.textContent('h1')).toBe('DQN, live on WebGPU');
  });

  it('trains PQN on WebGPU: the asked updates, every counter a number, the chart gains points and the canvas is drawn', async () => {
    await trainPqn(page, 'webgpu');
  });

  it("downloads PQN's weights, which load back into PQN, and are refused by DQN with the reason and the algorithm to choose", async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('pqn_weights_CartPole-v1_32x32_step2048.npz');
    const bytes = readFileSync(await download.path());
    await page.setInputFiles('#upload', { name: 'pqn.npz', mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.startsWith('Loaded pqn.npz'));
    expect(await page.textContent('#notice')).toBe('Loaded pqn.npz (32-32 hidden).');
    expect(await page.inputValue('#algo')).toBe('pqn');
    expect(await page.inputValue('#cfg-hidden')).toBe('32,32');

    // DQN chosen in the menu (after a Reset unlocks it), then the PQN file: the upload opens the DQN
    // run the menu shows, and the file is refused, naming why; the DQN run and its form stay.
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    await page.selectOption('#algo', 'dqn');
    const hidden = await page.inputValue('#cfg-hidden');
    await page.setInputFiles('#upload', { name: 'pqn.npz', mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => document.querySelector('#notice')?.getAttribute('data-level') === 'error');
    const refusal = (await page.textContent('#notice')) ?? '';
    expect(refusal).toMatch(/^pqn\.npz: dqn cannot train its network: it has LayerNorm layers .*; choose pqn in the Algorithm menu to load it$/);
    expect(await page.inputValue('#algo')).toBe('dqn');
    expect(await page.inputValue('#cfg-hidden')).toBe(hidden);
    expect(await page.evaluate(() => window.webRl?.state().phase)).toBe('ready');
    expect(await page.isDisabled('#upload-button')).toBe(false);
    const [dqnDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(dqnDownload.suggestedFilename()).toBe(`dqn_weights_CartPole-v1_${hidden.replace(/,/g, 'x')}_step0.npz`);
    // The page logs the refusal it shows (console.error): expected here.
    problems.messages.splice(0, problems.messages.length, ...problems.messages.filter((message) => message !== `console.error: ${refusal}`));
  });
});

describe('the web page without WebGPU', needs('chromium', available), () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  let info: Awaited<PageTestHooks['ready']> | undefined;

  beforeAll(async () => {
    const { outDir } = await buildWeb({ outDir: '.web-test/browser-nogpu' });
    server = await startStaticServer(outDir);
    // Without --enable-unsafe-webgpu, Debian's Chromium gives no adapter.
    browser = await launchChromium({ webgpu: false });
    page = await browser.newPage();
    problems = new PageProblems(page);
    await page.goto(server.url);
    await page.waitForFunction(() => window.webRl !== undefined);
    info = await page.evaluate(() => window.webRl?.ready);
  });

  afterEach(() => {
    expect(problems.messages, 'console errors, page errors or failed requests').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('falls back to the CPU backend with a visible notice that gives the reason', async () => {
    expect(info?.name).toBe('cpu');
    expect(info?.fallbackReason).toMatch(/WebGPU|adapter|navigator\.gpu/i);
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.textContent('#notice')).toBe(`Training runs on the CPU backend because ${info?.fallbackReason}.`);
    expect(await page.getAttribute('#backend-badge', 'data-backend')).toBe('cpu');
  });

  it('runs the CPU backend on the WASM SIMD kernels with FMA (Chrome has relaxed SIMD), says so, and gives the Node CPU backend numbers', async () => {
    expect(info?.description).toBe('WebAssembly SIMD128 + FMA');
    expect(await page.textContent('#backend-badge')).toBe('CPU · WebAssembly SIMD128 + FMA');
    const inPage = (await page.evaluate(() => window.webRl?.conformance())) as ConformanceResult;
    // Node's CPU backend on its TypeScript kernels: the page's WASM kernels against an independent path.
    const cpu = new CpuBackend({ kernels: 'js' });
    const inNode = await runConformanceCases(cpu);
    cpu.destroy();
    expect(inPage.backend).toBe('cpu');
    expect(Object.keys(inPage.ops).sort()).toEqual(Object.keys(inNode.ops).sort());
    for (const [name, want] of Object.entries(inNode.ops)) {
      const got = inPage.ops[name];
      if (name === 'argmax') expect(got, name).toEqual(want);
      else expect(relativeError(got, want), name).toBeLessThan(1e-5);
    }
    // The same bounds as the WebGPU page test above (float32 summation order differs between kernels).
    expect(relativeError(inPage.training.losses, inNode.training.losses), 'losses').toBeLessThan(1e-5);
    inNode.training.weights.forEach((want, i) => {
      expect(relativeError(inPage.training.weights[i], want), `parameter ${i}`).toBeLessThan(2e-3);
    });
  });

  it("under a Content-Security-Policy that forbids compiling WebAssembly, runs the TypeScript kernels and says so", async () => {
    const cspPage = await browser.newPage();
    const cspProblems = new PageProblems(cspPage);
    // Every response of the page (the worker script included) carries a policy without 'wasm-unsafe-eval'.
    await cspPage.route('**/*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': "script-src 'self'; worker-src 'self'" } });
    });
    try {
      await cspPage.goto(server.url);
      await cspPage.waitForFunction(() => window.webRl !== undefined);
      const cspInfo = await cspPage.evaluate(() => window.webRl?.ready);
      expect(cspInfo?.name).toBe('cpu');
      expect(cspInfo?.description).toBe('JavaScript, Float32Array');
      expect(await cspPage.textContent('#backend-badge')).toBe('CPU · JavaScript, Float32Array');
      // The browser reports the refused compilation itself; nothing else may go wrong.
      expect(cspProblems.messages.filter((m) => !/Content Security Policy|WebAssembly/i.test(m))).toEqual([]);
    } finally {
      await cspPage.close();
    }
  });

  it('trains on it: the asked number of updates, and a finite loss', async () => {
    const config = { steps: '400', learningStarts: '100', trainFreq: '16', gradientSteps: '4', hidden: '32,32', batchSize: '32', evalFreq: '0' };
    await fillConfig(page, config);
    await page.click('#start');
    await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 90_000, polling: 100 });
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.backend?.description).toBe('WebAssembly SIMD128 + FMA');
    expect(state?.counters?.steps).toBe(400);
    expect(state?.counters?.updates).toBe((Math.floor(400 / 16) - Math.floor(100 / 16)) * 4);
    expect(Number.isFinite(state?.counters?.loss)).toBe(true);
    expect(state?.counters?.updatesPerSecond).toBeGreaterThan(0);
  });

  it('trains PQN on it: the asked updates, every counter a number, the chart gains points and the canvas is drawn', async () => {
    // The DQN run above is finished: Reset unlocks the menus.
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    await trainPqn(page, 'cpu');
  });

  it('trains PPO on Pendulum-v1 (Box actions) on it: the pendulum drawn, the counters numbers, no epsilon row', async () => {
    await page.click('#reset');
    await page.waitForFunction(() => window.webRl?.state().phase === 'ready');
    await page.selectOption('#algo', 'ppo');
    await page.selectOption('#preset', 'ppo-pendulum');
    await fillConfig(page, { steps: '2048', numEnvs: '4', numSteps: '256', evalFreq: '0' });
    await page.click('#start');
    await page.waitForFunction(() => window.webRl?.state().phase === 'finished', undefined, { timeout: 120_000, polling: 100 });
    const state = await page.evaluate(() => window.webRl?.state());
    expect(state?.counters?.steps).toBe(2048);
    expect(Number.isFinite(state?.counters?.loss)).toBe(true);
    expect(state?.counters?.episodes).toBe(8);
    expect(await page.isHidden('[data-counter="epsilon"]')).toBe(true);
    const texts = await counterTexts(page);
    for (const name of ['steps', 'episodes', 'updates', 'loss', 'meanReturn100'] as const) expect(texts[name], name).not.toMatch(/NaN|Infinity|^–$|^$/);
    // The rod (Gymnasium's red) is drawn: many pixels redder than the white background.
    const rodPixels = await page.evaluate(() => {
      const canvas = document.getElementById('env-canvas') as HTMLCanvasElement;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 150 && data[i + 1] < 120 && data[i + 2] < 120) count++;
      return count;
    });
    expect(rodPixels).toBeGreaterThan(1000);
    expect(await page.textContent('#stage-caption')).toMatch(/^Pendulum-v1 · episode \d+ · step \d+$/);
  });
});
