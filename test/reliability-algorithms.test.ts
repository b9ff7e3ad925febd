/**
 * What does not fit the chosen algorithm, refused by the real CLI (a child process per case)
 * before any work, with exit code 2, one line naming the flag, preset or file and why, and
 * nothing written: another algorithm's flag or preset, a checkpoint or weights file of the other
 * algorithm, a PQN rule broken, and a PQN checkpoint whose fields were edited. Case ids are rows of
 * docs/reliability.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK, editCheckpoint, ensureBuilt, readBytes, runCli } from './support/cli-process.js';

let dir: string;
const train = (args: string[]) => runCli(args, dir);

/** A small PQN run (4 envs x 32 steps, 16-16) whose weights and checkpoint the cases load. */
const PQN_QUICK = ['--algo', 'pqn', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '2', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rel-algo-'));
  expect(train([...PQN_QUICK, '--steps', '1024', '--out', 'pqn', '--save', 'pqn.npz']).code).toBe(0);
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
});
