/**
 * Trains DQN on the Catch env from code and writes the weights the page plays:
 *
 *   npm run build && node examples/catch/train.mjs [out.npz] [--steps N] [--seed S]
 *
 * The CLI does the same with `node bin/train.js --env ./examples/catch/catch-env.js --steps 20000`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DqnTrainer, createBackend, preset, register } from 'webgpu-rl-engine';
import CatchEnv, { BALLS, id, maxEpisodeSteps, rewardThreshold } from './catch-env.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: 'string', default: '20000' }, seed: { type: 'string', default: '0' } },
});
const out = positionals[0] ?? fileURLToPath(new URL('catch_weights.npz', import.meta.url));

// The env joins the registry as Gymnasium's register(): make('Catch-v0') builds it from now on.
register({ id, entryPoint: CatchEnv, maxEpisodeSteps, rewardThreshold });

const backend = await createBackend('cpu');
const trainer = new DqnTrainer(backend, { ...preset('default'), env: id, steps: Number(values.steps) }, Number(values.seed), {
  onEvaluation: (e) => console.log(`step ${e.steps}: greedy mean return ${e.meanReturn.toFixed(2)}`),
});
await trainer.run();
await writeFile(out, await trainer.weightsFile());
console.log(`best greedy mean return ${trainer.bestMeanReturn.toFixed(2)} of ${BALLS}; weights written to ${out}`);
trainer.dispose();
backend.destroy();
