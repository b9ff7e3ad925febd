// Registers GridWalk from code (Gymnasium's register / make), checks it, trains DQN on it for 4000
// steps on the CPU backend and plays one greedy episode. Run from the repository (after npm run build):
//   node docs/examples/train-custom-env.mjs
import { DqnTrainer, adaptEnv, assertEnvValid, createBackend, make, preset, register } from 'webgpu-rl-engine';
import GridWalk, { id, maxEpisodeSteps, rewardThreshold } from './grid-walk.js';

// checkEnv on a fresh instance: throws, listing every error, when something is wrong.
const warnings = assertEnvValid(adaptEnv(new GridWalk()));
for (const w of warnings) console.log(`warning: ${w.message}`);

register({ id, entryPoint: GridWalk, maxEpisodeSteps, rewardThreshold });

const backend = await createBackend('cpu');
const trainer = new DqnTrainer(backend, { ...preset('default'), env: id, steps: 4000, learningStarts: 500, evalFreq: 0 }, 0);
await trainer.run();
console.log(`trained: ${trainer.steps} steps, ${trainer.episodes} episodes, mean return of the last 100 ${trainer.meanReturn100.toFixed(2)}`);

// One greedy episode: the action with the largest Q-value, until the goal or the time limit.
const env = make(id);
let [observation] = env.reset({ seed: 7 });
let total = 0;
for (let ended = false; !ended; ) {
  const q = await trainer.agent.qValues(observation);
  const action = q.indexOf(Math.max(...q));
  const [next, reward, terminated, truncated] = env.step(action);
  observation = next;
  total += reward;
  ended = terminated || truncated;
}
console.log(`greedy episode: return ${total.toFixed(2)}`);
trainer.dispose();
backend.destroy();
