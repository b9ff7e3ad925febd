/**
 * What does not fit the chosen algorithm, refused by the real CLI (a child process per case)
 * before any work, with exit code 2, one line naming the flag, preset or file and why, and
 * nothing written: another algorithm's flag or preset, a checkpoint or weights file of the other
 * algorithm, a PQN or PPO rule broken, a PQN or PPO checkpoint whose fields were edited, and a PPO
 * weights file whose network record or observation statistics were edited. Case ids are rows of
 * docs/reliability.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK, editCheckpoint, editWeightsFile, ensureBuilt, readBytes, runCli } from './support/cli-process.js';
import type { NdArray } from '../src/io/npy.js';

let dir: string;
const train = (args: string[]) => runCli(args, dir);

/** A small PQN run (4 envs x 32 steps, 16-16) whose weights and checkpoint the cases load. */
const PQN_QUICK = ['--algo', 'pqn', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '2', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

/** A small PPO on Pendulum-v1 (Box actions; 2 envs x 32 steps, 16 wide) whose weights and checkpoint the PPO cases load. */
const PPO_QUICK = ['--algo', 'ppo', '--backend', 'cpu', '--env', 'Pendulum-v1', '--hidden', '16', '--num-envs', '2', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '2', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rel-algo-'));
  expect(train([...PQN_QUICK, '--steps', '1024', '--out', 'pqn', '--save', 'pqn.npz']).code).toBe(0);
  // With both normalisations: its weights file holds obs_mean and obs_var, its checkpoint the statistics.
  expect(train([...PPO_QUICK, '--normalize-observation', '--normalize-reward', '--steps', '1024', '--out', 'ppo', '--save', 'ppo.npz']).code).toBe(0);
  expect(train([...QUICK, '--steps', '200', '--out', 'dqn', '--save', 'dqn.npz']).code).toBe(0);
  // numpy-rl-engine's own file: no network record, so no LayerNorm.
  writeFileSync(join(dir, 'legacy.npz'), readFileSync(new URL('./fixtures/numpy-rl-engine-weights.npz', import.meta.url)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `args`, expecting exit code 2, `message` on stderr and no new file or folder. */
function expectRefused(id: string, args: string[], message: RegExp): void {
  const before = new Set(readdirSync(dir));
  const r = train([...args, '--out', 'refused']);
  expect(r.code, `${id}: ${r.stderr}`).toBe(2);
  expect(r.stderr, id).toMatch(message);
  expect(r.stderr, id).toMatch(/^error: [^\n]+\n$/);
  expect(readdirSync(dir).filter((name) => !before.has(name)), id).toEqual([]);
}

const FLAG_CASES: { id: string; args: string[]; message: RegExp }[] = [
  { id: 'algo-foreign-flag', args: [...PQN_QUICK, '--batch-size', '32'], message: /^error: --batch-size \(dqn\) is not a setting of pqn \(--algo pqn\); leave it out\n$/ },
  {
    id: 'algo-foreign-preset',
    args: ['--algo', 'dqn', '--preset', 'pqn-cartpole', '--backend', 'cpu'],
    message: /^error: --preset pqn-cartpole is a preset of pqn, not of dqn \(--algo dqn\); its presets are default, vector, /,
  },
  {
    id: 'algo-preset-decides',
    args: ['--preset', 'pqn-cartpole', '--backend', 'cpu', '--tau', '0.1'],
    message: /^error: --tau \(dqn\) is not a setting of pqn \(the algorithm of --preset pqn-cartpole\); leave it out\n$/,
  },
  {
    id: 'algo-default-foreign-flag',
    args: ['--num-steps', '16', '--backend', 'cpu'],
    message: /^error: --num-steps \(pqn, ppo\) is not a setting of dqn \(the default algorithm; --algo chooses another\); leave it out\n$/,
  },
  {
    id: 'algo-resume-other',
    args: ['--resume', join('pqn', 'checkpoint.zip'), '--algo', 'dqn', '--backend', 'cpu'],
    message: /^error: --algo dqn conflicts with --resume 'pqn\/checkpoint.zip', a pqn checkpoint; leave --algo out\n$/,
  },
  {
    id: 'algo-resume-conflict',
    args: ['--resume', join('pqn', 'checkpoint.zip'), '--backend', 'cpu', '--lr', '0.1'],
    message: /^error: --resume 'pqn\/checkpoint.zip' conflicts with --lr 0.1 \(the checkpoint has 0.00025\): .*only --steps may change/,
  },
  {
    id: 'algo-load-dqn-into-pqn',
    args: ['--algo', 'pqn', '--backend', 'cpu', '--load', 'dqn.npz'],
    message: /^error: --load 'dqn.npz': its network has no LayerNorm layers \(a DQN network: train it with --algo dqn\)\n$/,
  },
  {
    id: 'algo-load-pqn-into-dqn',
    args: ['--backend', 'cpu', '--load', 'pqn.npz', '--steps', '100'],
    message: /^error: --load 'pqn.npz': its network has LayerNorm layers \(a PQN network: train it with --algo pqn\)\n$/,
  },
  {
    id: 'algo-load-legacy-into-pqn',
    args: ['--algo', 'pqn', '--backend', 'cpu', '--load', 'legacy.npz'],
    message: /^error: --load 'legacy.npz': its network has no LayerNorm layers \(a DQN network: train it with --algo dqn\)\n$/,
  },
  {
    id: 'pqn-load-other-widths',
    args: ['--algo', 'pqn', '--backend', 'cpu', '--hidden', '32', '--load', 'pqn.npz'],
    message: /^error: --load 'pqn.npz' does not fit --hidden 32 \(the file's network has 16,16\); leave the flag out/,
  },
  { id: 'pqn-minibatch-rule', args: [...PQN_QUICK, '--num-minibatches', '3'], message: /^error: --num-envs x --num-steps \(128\) must be a multiple of --num-minibatches 3\n$/ },
  { id: 'pqn-budget-below-rollout', args: [...PQN_QUICK, '--steps', '100'], message: /^error: --steps 100 is less than one rollout \(--num-envs x --num-steps = 128\)\n$/ },
  {
    id: 'pqn-rollout-too-large',
    args: ['--algo', 'pqn', '--backend', 'cpu', '--num-envs', '4096', '--num-steps', '2000000', '--num-minibatches', '1', '--steps', '8192000000'],
    message: /^error: --num-envs 4096 x --num-steps 2000000: the rollout would need an array of 32,768,000,000 values, more than the 4,294,967,295 a typed array can hold\n$/,
  },
  // PPO: its flags' ranges and rules, its flags elsewhere, its files into the other algorithms and envs.
  { id: 'ppo-flag-out-of-range', args: [...PPO_QUICK, '--clip-coef', '0'], message: /^error: --clip-coef must be positive, got 0\n$/ },
  { id: 'ppo-value-clip-negative', args: [...PPO_QUICK, '--value-clip', '-1'], message: /^error: --value-clip must be >= 0 \(0 = off\), got -1\n$/ },
  { id: 'ppo-minibatch-rule', args: [...PPO_QUICK, '--num-minibatches', '3'], message: /^error: --num-envs x --num-steps \(64\) must be a multiple of --num-minibatches 3\n$/ },
  {
    id: 'ppo-advantages-one-row',
    args: [...PPO_QUICK, '--num-minibatches', '64'],
    message: /^error: --normalize-advantages needs minibatches of at least 2 transitions \(--num-envs x --num-steps \/ --num-minibatches = 1\)\n$/,
  },
  { id: 'ppo-budget-below-rollout', args: [...PPO_QUICK, '--steps', '32'], message: /^error: --steps 32 is less than one rollout \(--num-envs x --num-steps = 64\)\n$/ },
  {
    id: 'ppo-rollout-too-large',
    args: ['--algo', 'ppo', '--backend', 'cpu', '--num-envs', '4096', '--num-steps', '2000000', '--num-minibatches', '1', '--steps', '8192000000'],
    message: /^error: --num-envs 4096 x --num-steps 2000000: the rollout would need an array of 32,768,000,000 values, more than the 4,294,967,295 a typed array can hold\n$/,
  },
  { id: 'ppo-flag-to-dqn', args: ['--algo', 'dqn', '--backend', 'cpu', '--clip-coef', '0.1'], message: /^error: --clip-coef \(ppo\) is not a setting of dqn \(--algo dqn\); leave it out\n$/ },
  { id: 'ppo-flag-to-pqn', args: ['--algo', 'pqn', '--backend', 'cpu', '--normalize-observation'], message: /^error: --normalize-observation \(ppo\) is not a setting of pqn \(--algo pqn\); leave it out\n$/ },
  { id: 'dqn-flag-to-ppo', args: [...PPO_QUICK, '--batch-size', '32'], message: /^error: --batch-size \(dqn\) is not a setting of ppo \(--algo ppo\); leave it out\n$/ },
  {
    id: 'algo-load-ppo-into-dqn',
    args: ['--algo', 'dqn', '--backend', 'cpu', '--load', 'ppo.npz', '--steps', '100'],
    message: /^error: --load 'ppo.npz': its network is an actor-critic \(a PPO network: train it with --algo ppo\)\n$/,
  },
  {
    id: 'algo-load-ppo-into-pqn',
    args: ['--algo', 'pqn', '--backend', 'cpu', '--load', 'ppo.npz'],
    message: /^error: --load 'ppo.npz': its network is an actor-critic \(a PPO network: train it with --algo ppo\)\n$/,
  },
  {
    id: 'algo-load-dqn-into-ppo',
    args: ['--algo', 'ppo', '--backend', 'cpu', '--load', 'dqn.npz'],
    message: /^error: --load 'dqn.npz': its network is a Q-network \(DQN's: train it with --algo dqn\); PPO's file holds an actor and a critic\n$/,
  },
  {
    id: 'ppo-eval-other-env',
    args: ['--mode', 'eval', '--backend', 'cpu', '--load', 'ppo.npz', '--env', 'CartPole-v1', '--no-video'],
    message: /^error: --load 'ppo.npz' holds weights for 3 observations and 1 actions \(Pendulum-v1\); CartPole-v1 has 4 and 2\n$/,
  },
  {
    id: 'ppo-load-normalization-mismatch',
    args: ['--algo', 'ppo', '--backend', 'cpu', '--load', 'ppo.npz', '--no-normalize-observation'],
    message: /^error: --load 'ppo.npz' does not fit --normalize-observation false \(the file's network has true\); leave the flag out to use the file's value\n$/,
  },
  {
    id: 'algo-resume-ppo-as-dqn',
    args: ['--resume', join('ppo', 'checkpoint.zip'), '--algo', 'dqn', '--backend', 'cpu'],
    message: /^error: --algo dqn conflicts with --resume 'ppo\/checkpoint.zip', a ppo checkpoint; leave --algo out\n$/,
  },
  {
    id: 'ppo-resume-conflict',
    args: ['--resume', join('ppo', 'checkpoint.zip'), '--backend', 'cpu', '--clip-coef', '0.1', '--no-normalize-reward'],
    message: /^error: --resume 'ppo\/checkpoint.zip' conflicts with .*--clip-coef 0.1 \(the checkpoint has 0.2\).*: a resumed run keeps its checkpoint's settings/,
  },
];

/** Edits of a PPO weights file (its network record, its arrays), then --mode eval --load: the refusal names the file and the entry. */
const WEIGHTS_CASES: { id: string; edit: (network: Record<string, unknown>, arrays: Map<string, NdArray>) => void; message: RegExp }[] = [
  {
    id: 'ppo-weights-obsnorm',
    edit: (network) => (network.obsNorm = { epsilon: 1e-8, clip: 5 }),
    message: /^error: edited.npz: its 'network' entry field 'obsNorm' must be \{"epsilon": 1e-8, "clip": 10\}, this engine's observation normalisation, got \{"epsilon":1e-8,"clip":5\}\n$/,
  },
  {
    id: 'ppo-weights-obsnorm-missing',
    edit: (network) => delete network.obsNorm,
    message: /^error: edited.npz: holds 11 arrays \('arr_0', .*, 'log_std', 'obs_mean', 'obs_var'\), the network needs 9 \[/,
  },
  {
    id: 'ppo-weights-obs-stats-missing',
    edit: (_, arrays) => arrays.delete('obs_var'),
    message: /^error: edited.npz: not a weights file: it holds .*'obs_mean.npy', 'network.npy'; a weights file holds .*log_std.npy \(Box actions\), obs_mean.npy, obs_var.npy \(its record has obsNorm\) and network.npy\n$/,
  },
  {
    // Was: `error: RunningMeanStd.setState: the means must be finite, ...` with exit code 1, naming no file.
    id: 'ppo-weights-negative-variance',
    edit: (_, arrays) => ((arrays.get('obs_var') as NdArray<'<f8'>).data[1] = -0.5),
    message: /^error: edited.npz: obs_var holds -0.5 at index 1: a variance must be >= 0\n$/,
  },
];

/** Edits of a PQN checkpoint's metadata, and the field each refusal names. */
const CHECKPOINT_CASES: { id: string; edit: (meta: Record<string, unknown>) => void; message: RegExp }[] = [
  { id: 'pqn-checkpoint-steps', edit: (m) => (m.steps = 1000), message: /checkpoint field 'steps' \(1000\) must be 'iterations' \(8\) x numEnvs x numSteps \(128\)/ },
  { id: 'pqn-checkpoint-updates', edit: (m) => (m.updates = 1e6), message: /checkpoint field 'updates' \(1000000\) exceeds/ },
  { id: 'pqn-checkpoint-config', edit: (m) => ((m.config as Record<string, unknown>).qLambda = 2), message: /checkpoint field 'config.qLambda' must be in \[0, 1\], got 2/ },
  { id: 'pqn-checkpoint-rng', edit: (m) => (m.rng = { bitGenerator: { state: 'x', inc: '1' } }), message: /checkpoint field 'rng' must be a generator state/ },
  { id: 'pqn-checkpoint-preset', edit: (m) => ((m.run as Record<string, unknown>).preset = 'default'), message: /checkpoint field 'run.preset' must be one of pqn-cartpole, / },
  {
    id: 'checkpoint-unknown-kind',
    edit: (m) => (m.kind = 'sac-trainer'),
    message: /not a trainer checkpoint this build reads \(kind "sac-trainer"; there are dqn-trainer, pqn-trainer, ppo-trainer\)/,
  },
];

type Meta = Record<string, unknown>;
const normalizer = (m: Meta) => (m.extra as { normalizer: { obs: { mean: number[]; var: number[] }; reward: { returns: number[] } } }).normalizer;

/** Edits of a PPO checkpoint's metadata (Pendulum-v1, both normalisations), and the field each refusal names. */
const PPO_CHECKPOINT_CASES: { id: string; edit: (meta: Meta) => void; message: RegExp }[] = [
  {
    id: 'ppo-checkpoint-obs-length',
    edit: (m) => (normalizer(m).obs.mean.push(0), normalizer(m).obs.var.push(1)),
    message: /^error: edited.zip: checkpoint field 'extra.normalizer.obs' must have 'mean': 3 finite numbers\n$/,
  },
  {
    id: 'ppo-checkpoint-normalizer-off',
    edit: (m) => ((m.config as Meta).normalizeObservation = false),
    message: /^error: edited.zip: checkpoint field 'extra.normalizer.obs' must be null \(config.normalizeObservation false\)\n$/,
  },
  { id: 'ppo-checkpoint-variance', edit: (m) => (normalizer(m).obs.var[0] = -1), message: /^error: edited.zip: checkpoint field 'extra.normalizer.obs' must have 'var': 3 finite numbers >= 0\n$/ },
  {
    id: 'ppo-checkpoint-returns',
    edit: (m) => normalizer(m).reward.returns.push(0),
    message: /^error: edited.zip: checkpoint field 'extra.normalizer.reward.returns' must be 2 finite discounted returns \(one per env\)\n$/,
  },
  {
    id: 'ppo-checkpoint-box-action',
    edit: (m) => ((m.envs as { episodeActions: number[] }[])[0].episodeActions[0] = 2.5),
    message: /^error: edited.zip: checkpoint field 'envs\[0\].episodeActions' must list the open episode's actions \(1 values each, within Box\(-2\.0, 2\.0, \(1,\), float32\), fewer than 200\), got \d+ values\n$/,
  },
  { id: 'ppo-checkpoint-config', edit: (m) => ((m.config as Meta).clipCoef = 0), message: /^error: edited.zip: checkpoint field 'config.clipCoef' must be positive, got 0\n$/ },
  {
    // Was: the file and "checkpoint field" said before each of the four fields the rule names.
    id: 'ppo-checkpoint-minibatch-rule',
    edit: (m) => ((m.config as Meta).numMinibatches = 64),
    message: /^error: edited.zip: checkpoint config: 'config.normalizeAdvantages' needs minibatches of at least 2 transitions \('config.numEnvs' x 'config.numSteps' \/ 'config.numMinibatches' = 1\)\n$/,
  },
];

describe('what does not fit the algorithm is refused before any work', () => {
  for (const { id, args, message } of FLAG_CASES) {
    it(`[${id}] ${args.join(' ')}`, () => expectRefused(id, args, message));
  }
  for (const { id, edit, message } of CHECKPOINT_CASES) {
    it(`[${id}] a PQN checkpoint edited, then --resume`, () => {
      writeFileSync(join(dir, 'edited.zip'), editCheckpoint(readBytes(join(dir, 'pqn', 'checkpoint.zip')), (header) => edit(header.meta)));
      expectRefused(id, ['--resume', 'edited.zip', '--backend', 'cpu'], message);
      rmSync(join(dir, 'edited.zip'));
    });
  }
  for (const { id, edit, message } of PPO_CHECKPOINT_CASES) {
    it(`[${id}] a PPO checkpoint edited, then --resume`, () => {
      writeFileSync(join(dir, 'edited.zip'), editCheckpoint(readBytes(join(dir, 'ppo', 'checkpoint.zip')), (header) => edit(header.meta)));
      expectRefused(id, ['--resume', 'edited.zip', '--backend', 'cpu'], message);
      rmSync(join(dir, 'edited.zip'));
    });
  }
  for (const { id, edit, message } of WEIGHTS_CASES) {
    it(`[${id}] a PPO weights file edited, then --mode eval --load and --load`, () => {
      writeFileSync(join(dir, 'edited.npz'), editWeightsFile(readBytes(join(dir, 'ppo.npz')), edit));
      expectRefused(id, ['--mode', 'eval', '--backend', 'cpu', '--load', 'edited.npz', '--no-video'], message);
      expectRefused(id, ['--algo', 'ppo', '--backend', 'cpu', '--load', 'edited.npz', '--no-video'], message);
      rmSync(join(dir, 'edited.npz'));
    });
  }
});
