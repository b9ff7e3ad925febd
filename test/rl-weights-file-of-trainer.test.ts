/**
 * Trainer.weightsFile: each algorithm's trainer writes the weights file --save writes (the CLI and
 * the page call the same method), its record naming the algorithm, the env and the network, and
 * its arrays the weights given (by default finalWeights()); a Box env's bounds are recorded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../src/backend/create-backend.js';
import { ALGORITHM_NAMES, withAlgorithm } from '../src/rl/algorithms.js';
import { readWeightsFile } from '../src/rl/weights-file.js';
import { resolveWeightsNetwork } from '../src/rl/weights-network.js';

const backend = await createBackend('cpu');
afterAll(() => backend.destroy());

const PRESET_OF = { dqn: 'default', pqn: 'pqn-cartpole', ppo: 'ppo-pendulum' } as const;

describe('Trainer.weightsFile', () => {
  for (const name of ALGORITHM_NAMES) {
    it(`${name}: records the algorithm, the env and the network, and holds finalWeights()`, async () => {
      await withAlgorithm(name, async (entry) => {
        const config = entry.preset(PRESET_OF[name]);
        const trainer = entry.createTrainer(backend, config, 3);
        const file = readWeightsFile(await trainer.weightsFile(), 'w.npz');
        expect(file.network).toMatchObject({ algorithm: name, env: config.env, obsDim: trainer.envs.obsDim, nActions: trainer.envs.nActions, actionSpace: name === 'ppo' ? 'box' : 'discrete' });
        // A Box env's bounds (Pendulum-v1's torque, [-2, 2]), for readers without the env (the policy runtime); none for Discrete actions.
        expect([file.network?.actionLow, file.network?.actionHigh]).toEqual(name === 'ppo' ? [[-2], [2]] : [undefined, undefined]);
        const { arrays } = resolveWeightsNetwork(file, 'w.npz', { env: config.env, ...entry.architecture(config) }, () => false);
        const expected = await trainer.finalWeights();
        expect(arrays.map((a) => Array.from(a))).toEqual(expected.map((a) => Array.from(a)));
        trainer.dispose();
      });
    });
  }
});
