/**
 * DQN and PQN take Discrete actions only: an env with Box actions (Pendulum-v1,
 * MountainCarContinuous-v0) is refused with one message naming the env, wherever they pick an env:
 * their configs (the CLI's --env, the page, a checkpoint), the training env factory, envDims, and
 * the CLI itself (exit code 2).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envDims, make, requireDiscreteEnv } from '../src/envs/index.js';
import { InvalidArgumentError } from '../src/errors.js';
import { preset, validateConfig } from '../src/rl/config.js';
import { validateWithSchema } from '../src/rl/config-schema.js';
import { PQN_CONFIG, pqnPreset } from '../src/rl/pqn-config.js';
import { makeDiscreteEnv, makeTrainingEnv } from '../src/rl/training-env.js';
import { TrainingEnvs } from '../src/rl/training-envs.js';

const BOX_ENVS = ['Pendulum-v1', 'MountainCarContinuous-v0'] as const;
const refusal = (id: string, algorithm: string) => new RegExp(`${id} has continuous actions \\(Box\\(.*\\)\\), which ${algorithm} cannot take \\(it needs Discrete actions\\): train it with PPO \\(--algo ppo\\), which takes Box actions`);

describe('a Box-action env given to DQN or PQN is refused, naming it', () => {
  for (const id of BOX_ENVS) {
    it(`${id}: DQN's and PQN's configs`, () => {
      expect(() => validateConfig({ ...preset('default'), env: id }, (key) => `--${key}`)).toThrow(refusal(id, 'DQN'));
      expect(() => validateConfig({ ...preset('default'), env: id }, (key) => `--${key}`)).toThrow(new RegExp(`^--env ${id} has`));
      expect(() => validateWithSchema(PQN_CONFIG, { ...pqnPreset('pqn-cartpole'), env: id })).toThrow(refusal(id, 'PQN'));
    });

    it(`${id}: the training env factory, the trainers' envs, the evaluators' envs and envDims`, () => {
      expect(() => makeTrainingEnv({ env: id, rewardShaping: 'none' })).toThrow(InvalidArgumentError);
      expect(() => new TrainingEnvs({ env: id, rewardShaping: 'none', numEnvs: 2 })).toThrow(refusal(id, 'DQN and PQN'));
      expect(() => makeDiscreteEnv(id, { renderMode: 'rgb_array' })).toThrow(refusal(id, 'DQN and PQN'));
      expect(() => envDims(id)).toThrow(refusal(id, 'DQN and PQN'));
      expect(() => requireDiscreteEnv(make(id), 'X')).toThrow(refusal(id, 'X'));
    });
  }

  it('Discrete envs pass through unchanged', () => {
    const env = make('Acrobot-v1');
    expect(requireDiscreteEnv(env, 'DQN')).toBe(env);
    expect(() => validateConfig(preset('mountain-car'))).not.toThrow();
    expect(makeDiscreteEnv('CartPole-v1').actionSpace.n).toBe(2);
  });

  it('the CLI exits with code 2 and the message, for --algo dqn and --algo pqn', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const entry = pathToFileURL(join(root, 'src/cli/train.ts')).href;
    const script = `const { main } = await import(${JSON.stringify(entry)}); await main(['node', 'train', ...process.argv.slice(1)]);`;
    for (const [algo, id] of [['dqn', 'Pendulum-v1'], ['pqn', 'MountainCarContinuous-v0']] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', '--algo', algo, '--env', id, '--backend', 'cpu', '--out', 'never-made'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(refusal(id, algo.toUpperCase()));
    }
  });
});
