/**
 * The Catch page's script: a trained policy plays Catch in the page, with nothing of the engine but
 * its policy runtime (`webgpu-rl-engine/policy`: the weights file's network, forward pass and
 * greedy action). `npm run example:catch` bundles this file into dist/play.js and serves the page.
 *
 * Query parameters: `weights` (the .npz to load, default catch_weights.npz beside the page),
 * `interval` (ms between steps, default 120), `seed` (the first reset's seed, default 0).
 */
import { loadPolicy } from 'webgpu-rl-engine/policy';
import CatchEnv, { BALLS } from './catch-env.js';

const params = new URLSearchParams(location.search);
const interval = Number(params.get('interval') ?? 120);
const seed = Number(params.get('seed') ?? 0);
const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('game'));
const status = /** @type {HTMLElement} */ (document.getElementById('status'));
const upload = /** @type {HTMLInputElement} */ (document.getElementById('weights-file'));

/** What the page has played, read by the example's test. */
const score = { weights: '', caught: 0, missed: 0, episodes: 0, returns: /** @type {number[]} */ ([]) };
globalThis.catchDemo = score;

const env = new CatchEnv({ renderMode: 'rgb_array' });
let policy = null;
let observation = null;
let episodeReturn = 0;
let timer = 0;

async function start(bytes, name) {
  policy = loadPolicy(bytes, name);
  if (policy.obsDim !== env.observationSpace.shape[0] || policy.nActions !== env.actionSpace.n) {
    throw new Error(`${name}: a policy for ${policy.obsDim} observations and ${policy.nActions} actions, not Catch's 3 and 3`);
  }
  Object.assign(score, { weights: name, caught: 0, missed: 0, episodes: 0, returns: [] });
  [observation] = env.reset({ seed });
  episodeReturn = 0;
  draw();
  clearInterval(timer);
  timer = setInterval(tick, interval);
}

function tick() {
  const action = policy.act(observation);
  const [next, reward, terminated, truncated] = env.step(action);
  episodeReturn += reward;
  if (reward > 0) score.caught += 1;
  if (reward < 0) score.missed += 1;
  observation = next;
  if (terminated || truncated) {
    score.episodes += 1;
    score.returns.push(episodeReturn);
    episodeReturn = 0;
    [observation] = env.reset();
  }
  draw();
}

function draw() {
  const frame = env.render();
  canvas.width = frame.width;
  canvas.height = frame.height;
  canvas.getContext('2d').putImageData(new ImageData(frame.data, frame.width, frame.height), 0, 0);
  const last = score.returns.at(-1);
  status.textContent = `${score.weights}: caught ${score.caught}, missed ${score.missed}; episodes ${score.episodes}` + (last === undefined ? '' : `, last return ${last} of ${BALLS}`);
}

function fail(error) {
  clearInterval(timer);
  status.textContent = `error: ${error.message}`;
  console.error(error);
}

upload.addEventListener('change', async () => {
  const file = upload.files?.[0];
  if (file) start(new Uint8Array(await file.arrayBuffer()), file.name).catch(fail);
});

const weights = params.get('weights') ?? 'catch_weights.npz';
fetch(weights)
  .then((response) => {
    if (!response.ok) throw new Error(`${weights}: HTTP ${response.status}`);
    return response.arrayBuffer();
  })
  .then((buffer) => start(new Uint8Array(buffer), weights))
  .catch(fail);
