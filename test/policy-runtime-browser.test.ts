/**
 * The policy runtime in a real Chromium page: `webgpu-rl-engine/policy` bundled by esbuild as a
 * page would (minified, ESM, browser; scripts/policy-size.ts's bundle), fetching weights files the
 * engine wrote and playing 64 observations: the same actions, bit for bit, as loadPolicy in Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/policy/index.js';
import { bundle, POLICY_ENTRY } from '../scripts/policy-size.js';
import { chromiumAvailable, launchChromium, PageProblems, serveFiles, type ServedFiles } from './support/browser-page.js';
import { ensurePolicyBuilt, network, observations, writeWeights } from './support/policy-files.js';
import { needs } from './support/requirements.js';

const available = chromiumAvailable();

/** The page: loads each file, acts on its observations one at a time and as a batch, and reports. */
const PAGE_SCRIPT = `
import { loadPolicy } from './policy.js';
const cases = await (await fetch('/cases.json')).json();
const result = {};
for (const { name, obsDim } of cases) {
  const bytes = new Uint8Array(await (await fetch('/' + name)).arrayBuffer());
  const observations = new Float32Array(await (await fetch('/' + name + '.obs')).arrayBuffer());
  const policy = loadPolicy(bytes, name);
  const rows = observations.length / obsDim;
  const single = [];
  for (let r = 0; r < rows; r++) {
    const action = policy.act(observations.subarray(r * obsDim, (r + 1) * obsDim));
    single.push(...(typeof action === 'number' ? [action] : action));
  }
  result[name] = { actionSpace: policy.actionSpace, single, batch: Array.from(policy.actBatch(observations, rows)) };
}
try {
  loadPolicy(new Uint8Array([1, 2, 3]), 'bad.npz');
} catch (error) {
  result.refusal = error.message;
}
window.result = result;
`;

describe('the policy runtime in Chromium', needs('chromium', available), () => {
  let server: Awaited<ReturnType<typeof serveFiles>> | undefined;
  beforeAll(() => ensurePolicyBuilt());
  afterAll(() => server?.close());

  it('plays files the engine wrote with the actions Node gets', async () => {
    const written = {
      'cartpole-dqn.npz': writeWeights(network('CartPole-v1', { hidden: [32, 32] }), 'dqn', 1),
      'acrobot-qr.npz': writeWeights(network('Acrobot-v1', { quantiles: 8, activation: 'tanh' }), 'dqn', 2),
      'pendulum-ppo.npz': writeWeights(network('Pendulum-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [16, 16], normalizeObservation: true }), 'ppo', 3, 8),
    };
    const files: ServedFiles = {
      '/': ['text/html', '<!doctype html><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>'],
      '/main.js': ['text/javascript', PAGE_SCRIPT],
      '/policy.js': ['text/javascript', (await bundle(POLICY_ENTRY)).text],
      '/cases.json': ['application/json', JSON.stringify(Object.entries(written).map(([name, w]) => ({ name, obsDim: w.obsDim })))],
    };
    const expected: Record<string, unknown> = {};
    for (const [i, [name, w]] of Object.entries(written).entries()) {
      const obs = observations(w.obsDim, 10 + i, 4);
      files[`/${name}`] = ['application/octet-stream', w.bytes];
      files[`/${name}.obs`] = ['application/octet-stream', new Uint8Array(obs.buffer)];
      const policy = loadPolicy(w.bytes, name);
      const single: number[] = [];
      for (let r = 0; r < obs.length / w.obsDim; r++) {
        const action = policy.act(obs.subarray(r * w.obsDim, (r + 1) * w.obsDim));
        single.push(...(typeof action === 'number' ? [action] : action));
      }
      expected[name] = { actionSpace: policy.actionSpace, single, batch: Array.from(policy.actBatch(obs, obs.length / w.obsDim)) };
    }
    expected.refusal = 'bad.npz: not a zip archive (.npz files are zips of .npy files)';
    server = await serveFiles(files);
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      const problems = new PageProblems(page);
      await page.goto(server.url);
      // On a page error the result never comes: stop waiting and report the problems instead.
      await page.waitForFunction(() => 'result' in window, null, { timeout: 30_000 }).catch(() => undefined);
      expect(problems.messages).toEqual([]);
      const result = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(result).toEqual(expected);
      // The Box policy's actions reach its bounds: the clipping ran in the page too.
      expect((expected['pendulum-ppo.npz'] as { batch: number[] }).batch.map(Math.abs)).toContain(2);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
