/**
 * Environment and RNG throughput: CartPole-v1 steps/s for one env (raw `stepInto`, `step()` with its
 * fresh observation, and through make()'s TimeLimit), the vector env at N = 1, 16, 256 (env steps/s,
 * next-step autoreset), and Rng doubles/s and integers(2)/s. Actions come from a precomputed random
 * table, so the figures measure the env, not the action source.
 */
import { round, time } from '../harness.js';
import { CartPoleEnv, make, makeVec, newStepRecord, type Env } from '../../src/envs/index.js';
import { Rng } from '../../src/random/index.js';

const BATCH = 2000;
const actionRng = new Rng(0);
const ACTIONS = Uint8Array.from({ length: 4096 }, () => actionRng.integers(2));

/** Steps/s of `env` through the allocation-free `stepInto`, resetting on episode end. */
async function stepIntoRate(env: Env): Promise<number> {
  const obs = new Float32Array(env.obsDim);
  const rec = newStepRecord();
  env.resetInto(obs, 0, { seed: 0 });
  let k = 0;
  const t = await time(() => {
    for (let i = 0; i < BATCH; i++) {
      env.stepInto(ACTIONS[k++ & 4095], obs, 0, rec);
      if (rec.terminated || rec.truncated) env.resetInto(obs, 0);
    }
  });
  return BATCH / t.medianSeconds;
}

/** Steps/s through the Gymnasium-style `step()` (allocates the obs and the result tuple). */
async function stepRate(env: Env): Promise<number> {
  env.reset({ seed: 0 });
  let k = 0;
  const t = await time(() => {
    for (let i = 0; i < BATCH; i++) {
      const r = env.step(ACTIONS[k++ & 4095]);
      if (r[2] || r[3]) env.reset();
    }
  });
  return BATCH / t.medianSeconds;
}

async function vectorRate(n: number): Promise<number> {
  const vec = makeVec('CartPole-v1', n);
  vec.reset({ seed: 0 });
  const actions = new Uint8Array(n);
  const steps = Math.max(1, Math.floor(BATCH / n));
  let k = 0;
  const t = await time(() => {
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < n; i++) actions[i] = ACTIONS[k++ & 4095];
      vec.step(actions);
    }
  });
  return (steps * n) / t.medianSeconds;
}

export default async function envsSuite(): Promise<Record<string, unknown>> {
  const rng = new Rng(1);
  let sink = 0;
  const doubles = await time(() => {
    for (let i = 0; i < 100_000; i++) sink += rng.random();
  });
  const ints = await time(() => {
    for (let i = 0; i < 100_000; i++) sink += rng.integers(2);
  });
  const result = {
    cartpoleStepsPerSecond: {
      rawStepInto: round(await stepIntoRate(new CartPoleEnv())),
      rawStep: round(await stepRate(new CartPoleEnv())),
      timeLimitStepInto: round(await stepIntoRate(make('CartPole-v1'))),
      timeLimitStep: round(await stepRate(make('CartPole-v1'))),
    },
    vectorEnvStepsPerSecond: {
      n1: round(await vectorRate(1)),
      n16: round(await vectorRate(16)),
      n256: round(await vectorRate(256)),
    },
    acrobotStepsPerSecond: round(await stepIntoRate(make('Acrobot-v1'))),
    mountainCarStepsPerSecond: round(await stepIntoRate(make('MountainCar-v0'))),
    rngDoublesPerSecond: round(100_000 / doubles.medianSeconds),
    rngIntegersPerSecond: round(100_000 / ints.medianSeconds),
  };
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return result;
}
