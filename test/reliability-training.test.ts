/**
 * Training that blows up, on the real trainer (CPU backend) and the real CLI: a non-finite loss or
 * weight stops training naming the step and the last good checkpoint, and nothing non-finite is
 * ever saved (checkpoint, weights file, best evaluated weights), for DQN and for PPO; --on-non-finite
 * skip undoes the rounds that went wrong instead. Test titles start with their id in docs/reliability.md.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { formatLoss } from '../src/cli/progress.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { formatMetricsRow, parseMetricsCsv, formatMetricsHeader } from '../src/metrics/csv-log.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { NonFiniteError, allFinite, checkStateFinite } from '../src/rl/non-finite-guard.js';
import { PeriodicEvaluation } from '../src/rl/periodic-evaluation.js';
import { PPO_CHECKPOINT } from '../src/rl/ppo-checkpoint.js';
import { decodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { encodeWeightsNpz } from '../src/rl/weights-file.js';
import { QUICK, ensureBuilt, readBytes, runCli } from './support/cli-process.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rl-nonfinite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function small(overrides: Partial<DqnConfig> = {}): DqnConfig {
  return { ...preset('default'), hidden: [16], batchSize: 16, bufferSize: 1000, learningStarts: 50, trainFreq: 2, evalFreq: 0, steps: 800, lossReadInterval: 1, ...overrides };
}

/** A trainer whose replay buffer holds one NaN reward once it fills: rounds that sample it get a NaN loss. */
async function trainerWithNanReward(config: DqnConfig): Promise<DqnTrainer> {
  const trainer = new DqnTrainer(new CpuBackend(), config, 1);
  await trainer.run(config.learningStarts);
  const state = trainer.replay.getState();
  state.rewards[7] = Number.NaN;
  trainer.replay.setState(state);
  return trainer;
}

describe('non-finite losses and weights', () => {
  it('[non-finite-stop] stops at the first NaN loss, naming the env step and the update', async () => {
    const trainer = await trainerWithNanReward(small());
    const error = await trainer.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as NonFiniteError).message).toMatch(/^training diverged at env step \d+ \(update \d+\): the loss is NaN$/);
    // The step of the round whose loss was NaN: the read started there and was settled at or after it.
    expect((error as NonFiniteError).step).toBeGreaterThan(trainer.config.learningStarts);
    expect((error as NonFiniteError).step).toBeLessThanOrEqual(trainer.steps);
    trainer.dispose();
  });

  it('[non-finite-skip] --on-non-finite skip undoes the rounds that sampled the NaN and trains to the end with finite weights', async () => {
    const trainer = await trainerWithNanReward(small({ onNonFinite: 'skip' }));
    await trainer.run();
    expect(trainer.steps).toBe(800);
    expect(trainer.nonFiniteGuard.skippedRounds).toBeGreaterThan(0);
    // Every round not undone counted its update.
    expect(trainer.updates).toBe((800 - 50) / 2 - trainer.nonFiniteGuard.skippedRounds);
    const state = await trainer.getState();
    expect(() => checkStateFinite(state)).not.toThrow();
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    trainer.dispose();
  });

  it('[non-finite-skip-limit] stops anyway when every round diverges (lr 1e30), after 100 undone rounds in a row', async () => {
    const trainer = new DqnTrainer(new CpuBackend(), small({ lr: 1e30, onNonFinite: 'skip', steps: 2000 }), 1);
    const error = await trainer.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as Error).message).toMatch(/100 rounds of updates in a row were non-finite \(all skipped\)$/);
    expect(allFinite((await trainer.getState()).online)).toBe(true);
    trainer.dispose();
  });

  it('[non-finite-never-saved] refuses to snapshot or encode non-finite weights, and never keeps them as the best evaluated', async () => {
    const trainer = new DqnTrainer(new CpuBackend(), small(), 1);
    const state = await trainer.getState();
    const shapes = trainer.agent.online.weightShapes();
    const poisoned = state.online.map((w) => Float32Array.from(w));
    poisoned[2][1] = Number.POSITIVE_INFINITY;
    expect(() => checkStateFinite({ ...state, online: poisoned })).toThrow(/the online weights hold Infinity \(parameter 2, index 1\)/);
    expect(() => encodeWeightsNpz(poisoned, shapes)).toThrow(/arr_2 holds Infinity at index 1: weights must be finite/);
    // NaN weights evaluate to some return; they never become the best however they score.
    const evaluation = new PeriodicEvaluation('CartPole-v1', 2, 1);
    trainer.agent.online.setWeights(poisoned.map((w) => w.map(() => Number.NaN)));
    const log = await evaluation.evaluate(trainer.agent, 100);
    expect(log.best).toBe(false);
    expect(evaluation.bestWeights).toBeNull();
    evaluation.dispose();
    trainer.dispose();
  });

  it('[nan-loss-shown] a NaN loss shows as NaN (not "-") in progress lines and metrics.csv; no loss yet stays "-" and an empty cell', () => {
    expect(formatLoss(Number.NaN, 12)).toBe('NaN');
    expect(formatLoss(Number.POSITIVE_INFINITY, 12)).toBe('Infinity');
    expect(formatLoss(Number.NaN, 0)).toBe('-');
    const rows = [1, 2].map((episode) => ({ episode, steps: 10 * episode, return: 10, length: 10, epsilon: 1, loss: episode === 1 ? null : Number.NaN, wallTimeS: 0 }));
    const text = formatMetricsHeader() + rows.map(formatMetricsRow).join('');
    expect(text).toContain('\n1,10,10,10,1,,0\n2,20,10,10,1,nan,0\n');
    const parsed = parseMetricsCsv(text);
    expect(parsed[0].loss).toBeNull();
    expect(parsed[1].loss).toBeNaN();
  });

  it('[lr-1e30] the CLI with --lr 1e30 stops with exit 1 naming the step and the last good checkpoint; no NaN weights file is written', () => {
    const r = runCli([...QUICK, '--steps', '5000', '--lr', '1e30', '--checkpoint-every', '100', '--learning-starts', '90', '--out', 'diverged', '--save', 'diverged.npz'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: training diverged at env step \d+ \(update \d+\): the loss is NaN; nothing from this point was saved; the last good checkpoint is diverged\/checkpoint\.zip \(step (\d+)\)\. Try a smaller --lr, or --on-non-finite skip to skip such updates\n$/,
    );
    expect(existsSync(join(dir, 'diverged.npz'))).toBe(false);
    expect(readdirSync(join(dir, 'diverged'))).not.toContain('dqn_weights.npz');
    // The checkpoint on disk is the last good one: it decodes (decoding refuses non-finite arrays) and resumes.
    const lastGood = Number(/\(step (\d+)\)/.exec(r.stderr)?.[1]);
    expect(decodeTrainerCheckpoint(readBytes(join(dir, 'diverged', 'checkpoint.zip')), 'c').state.steps).toBe(lastGood);
    expect(runCli(['--resume', join('diverged', 'checkpoint.zip'), '--steps', String(lastGood + 1), '--save', 'resumed.npz'], dir).code).toBe(0);
  });

  /** A small PPO on Pendulum-v1 (Box actions): 2 envs x 32 steps a rollout, 16 wide. */
  const PPO = ['--algo', 'ppo', '--backend', 'cpu', '--env', 'Pendulum-v1', '--hidden', '16', '--num-envs', '2', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '2', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

  it('[ppo-lr-1e30] PPO with --lr 1e30 diverges in its first iteration: exit 1 naming the step, nothing saved, no weights file', () => {
    const r = runCli([...PPO, '--steps', '4096', '--lr', '1e30', '--max-grad-norm', '0', '--no-lr-decay', '--checkpoint-every', '64', '--out', 'ppo-1e30', '--save', 'ppo-1e30.npz'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^error: training diverged at env step 64 \(update 4\): the loss is NaN; nothing was saved \(no checkpoint had been written yet\)\. Try a smaller --lr, or --on-non-finite skip to skip such updates\n$/,
    );
    expect(existsSync(join(dir, 'ppo-1e30.npz'))).toBe(false);
    expect(readdirSync(join(dir, 'ppo-1e30')).filter((name) => name.endsWith('.npz') || name.endsWith('.zip'))).toEqual([]);
  });

  it('[ppo-non-finite-skip-limit] PPO with --lr 1e30 --on-non-finite skip: 100 undone iterations in a row, then exit 1 advising only a smaller --lr', () => {
    const r = runCli([...PPO, '--steps', '20480', '--lr', '1e30', '--max-grad-norm', '0', '--no-lr-decay', '--on-non-finite', 'skip', '--out', 'ppo-skip', '--save', 'ppo-skip.npz'], dir);
    expect(r.code, r.stderr).toBe(1);
    // 100 iterations of 64 env steps were skipped before it: the step is the 100th iteration's end.
    expect(r.stderr).toMatch(
      /^error: training diverged at env step 6400 \(update \d+\): the loss is NaN; 100 iterations of updates in a row were non-finite \(all skipped\); nothing was saved \(no checkpoint had been written yet\)\. Try a smaller --lr\n$/,
    );
    expect(existsSync(join(dir, 'ppo-skip.npz'))).toBe(false);
  });

  it('[ppo-lr-diverges] PPO (Box actions) with --lr 100, no gradient clipping and no annealing stops with exit 1 naming the step and the last good checkpoint', () => {
    const ppo = PPO;
    const r = runCli([...ppo, '--normalize-observation', '--steps', '4096', '--lr', '100', '--max-grad-norm', '0', '--no-lr-decay', '--checkpoint-every', '64', '--out', 'ppo-diverged', '--save', 'ppo-diverged.npz'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^error: training diverged at env step \d+ \(update \d+\): the loss is NaN; nothing from this point was saved; the last good checkpoint is ppo-diverged\/checkpoint\.zip \(step (\d+)\)\. Try a smaller --lr, or --on-non-finite skip to skip such updates\n$/,
    );
    expect(existsSync(join(dir, 'ppo-diverged.npz'))).toBe(false);
    expect(readdirSync(join(dir, 'ppo-diverged'))).not.toContain('ppo_weights.npz');
    // The step named is an iteration's end (a whole number of rollouts) past the last good checkpoint, which decodes (finite) and resumes.
    const step = Number(/env step (\d+)/.exec(r.stderr)?.[1]);
    const lastGood = Number(/\(step (\d+)\)/.exec(r.stderr)?.[1]);
    expect(step % 64).toBe(0);
    expect(step).toBeGreaterThan(lastGood);
    expect(PPO_CHECKPOINT.decode(openCheckpoint(readBytes(join(dir, 'ppo-diverged', 'checkpoint.zip')), 'c')).state.steps).toBe(lastGood);
    const resumed = runCli(['--resume', join('ppo-diverged', 'checkpoint.zip'), '--steps', String(lastGood), '--save', 'ppo-resumed.npz'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(dir, 'ppo-resumed.npz'))).toBe(true);
  });
});
