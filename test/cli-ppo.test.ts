/**
 * PPO through the real CLI (a child process per run, CPU backend): `--algo ppo` on a Box env
 * (Pendulum-v1) with both normalisations trains with its banner, writes a weights file in PPO's
 * layout (arr_i the actor, critic_i, log_std, obs_mean and obs_var, a record naming the algorithm,
 * the action space with its bounds and the normalisation) and a checkpoint of its own kind; --mode eval plays the
 * file (its mean clipped to the bounds, observations normalised by the file's statistics) into a
 * GIF, whatever --algo says. Refusals and signals: test/reliability-algorithms.test.ts and
 * test/reliability-signals.test.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readNpz } from '../src/io/npz.js';
import { checkpointAlgorithm } from '../src/rl/algorithms.js';
import { PPO_CHECKPOINT } from '../src/rl/ppo-checkpoint.js';
import { readWeightsFile } from '../src/rl/weights-file.js';
import { ensureBuilt, readBytes, runCli } from './support/cli-process.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'cli-ppo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small PPO on Pendulum-v1: 4 envs x 64 steps, 4 minibatches x 2 epochs, 16-16 networks, both normalisations. */
const PPO_QUICK = ['--algo', 'ppo', '--env', 'Pendulum-v1', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '64', '--num-minibatches', '4', '--update-epochs', '2', '--normalize-observation', '--normalize-reward'];

describe('--algo ppo on a Box env', () => {
  it('trains, saves its layout and record, and --mode eval plays the file with its statistics into a GIF', () => {
    const r = runCli([...PPO_QUICK, '--steps', '2048', '--eval-freq', '1024', '--eval-episodes', '2', '--final-eval-episodes', '2', '--out', 'run', '--save', 'ppo.npz', '--video', 'train.gif'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^training PPO on Pendulum-v1 \| preset ppo-pendulum \| seed 0 \| backend cpu .*\| net 3-16-16-1 \| 4 envs x 64 steps a rollout, 2 epochs x 4 minibatches of 64 \| Adam lr 0\.001 annealed \| GAE lambda 0\.95 \| clip 0\.2 \| 2048 steps \| actions sampled from the Gaussian policy \(initial log std 0\), clipped to the bounds \| normalised observations and rewards$/m);
    // An episode line has no epsilon column (PPO samples its policy), and returns are not whole numbers.
    expect(r.stdout).not.toMatch(/ eps /);
    expect(r.stdout).toMatch(/^greedy evaluation over 2 episodes: mean return -\d+\.\d\d \+\/- \d+\.\d\d \(min -\d+\.\d\d, max -\d+\.\d\d\)$/m);
    const opened = openCheckpoint(readBytes(join(dir, 'run', 'checkpoint.zip')), 'checkpoint.zip');
    expect(checkpointAlgorithm(opened)).toBe('ppo');
    const state = PPO_CHECKPOINT.decode(opened).state;
    expect(state).toMatchObject({ steps: 2048, iterations: 8, config: { envOn: 'host', normalizeObservation: true } });
    expect(state.normalizer.obs?.mean).toHaveLength(3);
    const bytes = readBytes(join(dir, 'ppo.npz'));
    const file = readWeightsFile(bytes, 'ppo.npz');
    expect(file.network).toEqual({
      obsDim: 3, nActions: 1, hidden: [16, 16], activation: 'tanh', dueling: false, quantiles: 1, layerNorm: false,
      policy: 'actor-critic', normalizeObservation: true, env: 'Pendulum-v1', algorithm: 'ppo', actionSpace: 'box', actionLow: [-2], actionHigh: [2],
    });
    const arrays = readNpz(bytes);
    const names = [...arrays.keys()].sort();
    expect(names).toEqual(['arr_0', 'arr_1', 'arr_2', 'arr_3', 'arr_4', 'arr_5', 'critic_0', 'critic_1', 'critic_2', 'critic_3', 'critic_4', 'critic_5', 'log_std', 'network', 'obs_mean', 'obs_var'].sort());
    expect(arrays.get('arr_4')?.shape).toEqual([16, 1]);
    expect(arrays.get('critic_4')?.shape).toEqual([16, 1]);
    expect(arrays.get('log_std')?.shape).toEqual([1, 1]);
    expect(arrays.get('obs_mean')?.shape).toEqual([1, 3]);
    expect(arrays.get('obs_var')?.shape).toEqual([1, 3]);

    const played = runCli(['--mode', 'eval', '--load', 'ppo.npz', '--backend', 'cpu', '--final-eval-episodes', '3', '--video', 'eval.gif'], dir);
    expect(played.stderr).toBe('');
    expect(played.code).toBe(0);
    expect(played.stdout).toMatch(/^evaluating ppo\.npz \(actor 3-16-16-1 gaussian, normalised observations\) tanh on Pendulum-v1/m);
    expect(played.stdout).toMatch(/^returns: -\d+\.\d\d -\d+\.\d\d -\d+\.\d\d$/m);
    expect(played.stdout).toMatch(/^video: .*eval\.gif \(201 frames, return -\d+\.\d\d, /m);
    expect(existsSync(join(dir, 'eval.gif'))).toBe(true);
  });
});
