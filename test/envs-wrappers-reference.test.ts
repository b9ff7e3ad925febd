/**
 * Gymnasium's ClipAction, RescaleAction, NormalizeObservation and NormalizeReward replayed on
 * test/fixtures/gymnasium/wrappers_ref.json (450 steps per case, resets without a seed carrying the
 * statistics over), single-env and as vector wrappers over one env; then the vector wrappers'
 * shared statistics, freezing, and saving and restoring the statistics.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ClipAction,
  NormalizeObservation,
  NormalizeReward,
  RescaleAction,
  RunningMeanStd,
  VectorEnv,
  VectorNormalizeObservation,
  VectorNormalizeReward,
  make,
  makeVec,
  normalizeWith,
  type ActionSpace,
  type Box,
  type Env,
  type VectorEnvLike,
} from '../src/envs/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';

type Action = number | number[];
interface WrapperStep {
  action: Action;
  obs: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  reset_obs?: number[];
}
interface WrapperCase {
  env_id: string;
  wrappers: string;
  seed: number;
  reset_obs: number[];
  steps: WrapperStep[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/gymnasium/wrappers_ref.json', import.meta.url), 'utf8')) as { cases: WrapperCase[] };
type Kind = 'observation' | 'reward' | 'action';
const kindOf = (c: WrapperCase): Kind => (c.wrappers.startsWith('NormalizeObservation') ? 'observation' : c.wrappers.startsWith('NormalizeReward') ? 'reward' : 'action');
const flat = (a: Action): number[] => (typeof a === 'number' ? [a] : a);

/** The single-env stack a case names, over make(id) (with its TimeLimit, as gymnasium.make). */
function stack(c: WrapperCase): Env<ActionSpace> {
  const env = make(c.env_id);
  switch (kindOf(c)) {
    case 'observation':
      return new NormalizeObservation(env, 1e-8);
    case 'reward':
      return new NormalizeReward(env, 0.99, 1e-8);
    case 'action':
      return new ClipAction(new RescaleAction(env as Env<Box>, -0.5, 0.5));
  }
}

/**
 * Pendulum's own rewards drift from Gymnasium's in the last bits over a rollout (V8's sin; see
 * envs-continuous-reference.test.ts), so its rewards are compared to 1e-12 relative; all else exactly.
 */
function expectReward(c: WrapperCase, got: number, want: number, where: string): void {
  if (c.env_id === 'Pendulum-v1') expect(Math.abs(got - want), where).toBeLessThanOrEqual(1e-12 * Math.abs(want));
  else expect(got, where).toBe(want);
}

describe('the fixture', () => {
  it('has the cases the README lists', () => {
    expect(fixture.cases.map((c) => `${c.env_id} ${kindOf(c)} ${c.seed}`)).toEqual(
      [0, 1].flatMap((seed) => [`Pendulum-v1 observation ${seed}`, `CartPole-v1 observation ${seed}`, `Pendulum-v1 reward ${seed}`, `MountainCarContinuous-v0 action ${seed}`]),
    );
    expect(fixture.cases.every((c) => c.steps.length === 450)).toBe(true);
    // Statistics carried over resets are exercised: every case but MountainCarContinuous's (999-step limit) resets.
    expect(fixture.cases.filter((c) => c.steps.some((s) => s.reset_obs !== undefined)).map((c) => c.env_id)).not.toContain('MountainCarContinuous-v0');
    expect(fixture.cases.filter((c) => c.steps.some((s) => s.reset_obs !== undefined))).toHaveLength(6);
  });
});

describe('single-env wrappers match Gymnasium', () => {
  for (const c of fixture.cases) {
    it(`${c.wrappers} on ${c.env_id}, seed ${c.seed}: every obs, reward, flag and reset obs`, () => {
      const env = stack(c);
      expect(Array.from(env.reset({ seed: c.seed })[0])).toEqual(c.reset_obs);
      c.steps.forEach((s, t) => {
        const where = `step ${t + 1}`;
        const [obs, reward, terminated, truncated] = env.step(s.action as never);
        expect(Array.from(obs), where).toEqual(s.obs);
        expectReward(c, reward, s.reward, where);
        expect([terminated, truncated], where).toEqual([s.terminated, s.truncated]);
        if (s.reset_obs !== undefined) expect(Array.from(env.reset()[0]), `${where} reset`).toEqual(s.reset_obs);
      });
    });
  }
});

describe('vector wrappers over one env with next-step autoreset are the single-env wrappers', () => {
  for (const c of fixture.cases.filter((k) => kindOf(k) !== 'action')) {
    it(`${c.wrappers} on ${c.env_id}, seed ${c.seed}`, () => {
      const vec = makeVec(c.env_id, 1) as VectorEnvLike<ActionSpace>;
      const wrapped = kindOf(c) === 'observation' ? new VectorNormalizeObservation(vec, 1e-8) : new VectorNormalizeReward(vec, 0.99, 1e-8);
      expect(Array.from(wrapped.reset({ seed: c.seed })[0])).toEqual(c.reset_obs);
      c.steps.forEach((s, t) => {
        const where = `step ${t + 1}`;
        const [obs, rewards, terminated, truncated] = wrapped.step(flat(s.action));
        expect(Array.from(obs), where).toEqual(s.obs);
        expectReward(c, rewards[0], s.reward, where);
        expect([terminated[0] === 1, truncated[0] === 1], where).toEqual([s.terminated, s.truncated]);
        if (s.reset_obs !== undefined) {
          // The autoreset step: its action is ignored, it returns the reset obs with reward 0.
          const [resetObs, resetRewards, , , info] = wrapped.step(flat(s.action));
          expect([info.autoreset[0], resetRewards[0]]).toEqual([1, 0]);
          expect(Array.from(resetObs), `${where} reset`).toEqual(s.reset_obs);
        }
      });
    });
  }
});

describe('RunningMeanStd', () => {
  it("starts at mean 0, var 1, count 1e-4, and merges batches with Gymnasium's formula (float64)", () => {
    const rms = new RunningMeanStd(2);
    expect(rms.getState()).toEqual({ mean: [0, 0], var: [1, 1], count: 1e-4 });
    rms.update([1, 2, 3, 6], 2);
    const tot = 1e-4 + 2;
    const delta = [2, 4];
    expect(rms.count).toBe(tot);
    expect(Array.from(rms.mean)).toEqual(delta.map((d) => 0 + (d * 2) / tot));
    const batchVar = [1, 4];
    expect(Array.from(rms.var)).toEqual(delta.map((d, j) => (1 * 1e-4 + batchVar[j] * 2 + (d * d * 1e-4 * 2) / tot) / tot));
  });

  it('one batch of N rows is the same as the statistics of the N values (up to the 1e-4 prior)', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 1);
    const rms = new RunningMeanStd(1);
    for (let i = 0; i < values.length; i += 10) rms.update(values.slice(i, i + 10), 10);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(rms.mean[0]).toBeCloseTo(mean, 6);
    expect(rms.var[0]).toBeCloseTo(variance, 6);
  });

  it('float32 statistics are float32 values; setState checks what it is given', () => {
    const rms = new RunningMeanStd(3, { dtype: 'float32' });
    rms.update(new Float32Array([0.1, -0.2, 0.3, 1.5, 2.5, -3.5]), 2);
    for (const v of [...rms.mean, ...rms.var]) expect(Math.fround(v)).toBe(v);
    expect(() => rms.setState({ mean: [0, 0], var: [1, 1, 1], count: 1 })).toThrow(ShapeError);
    expect(() => rms.setState({ mean: [0, 0, Number.NaN], var: [1, 1, 1], count: 1 })).toThrow(InvalidArgumentError);
    expect(() => rms.setState({ mean: [0, 0, 0], var: [1, -1, 1], count: 1 })).toThrow(InvalidArgumentError);
    expect(() => rms.setState({ mean: [0, 0, 0], var: [1, 1, 1], count: 0 })).toThrow(InvalidArgumentError);
    expect(() => rms.update([1, 2], 1)).toThrow(ShapeError);
  });
});

describe('vector normalisers share one set of statistics', () => {
  it('VectorNormalizeObservation updates one RunningMeanStd with the batch of N observations per step', () => {
    const vec = makeVec('Pendulum-v1', 3, { maxEpisodeSteps: 5 });
    const wrapped = new VectorNormalizeObservation(vec);
    const mirror = new RunningMeanStd(3, { dtype: 'float32' });
    const [obs] = wrapped.reset({ seed: 7 });
    mirror.update(vec.observations, 3);
    const expected = new Float32Array(9);
    for (let i = 0; i < 3; i++) normalizeWith.center(mirror, 1e-8, vec.observations, i * 3, expected, i * 3);
    expect(Array.from(obs)).toEqual(Array.from(expected));
    for (let t = 0; t < 12; t++) {
      const [next] = wrapped.step([0.5, -1, 2]);
      mirror.update(vec.observations, 3);
      for (let i = 0; i < 3; i++) normalizeWith.center(mirror, 1e-8, vec.observations, i * 3, expected, i * 3);
      expect(Array.from(next), `t=${t}`).toEqual(Array.from(expected));
    }
    expect(wrapped.getState()).toEqual(mirror.getState());
    expect(wrapped.obsRms.count).toBeCloseTo(1e-4 + 13 * 3, 9);
    expect(wrapped.singleObservationSpace.toString()).toBe('Box(-inf, inf, (3,), float32)');
  });

  it('same-step autoreset: the terminal observations are normalised too, without updating the statistics', () => {
    const vec = makeVec('Pendulum-v1', 2, { maxEpisodeSteps: 3, autoresetMode: 'same-step' });
    const wrapped = new VectorNormalizeObservation(vec);
    wrapped.reset({ seed: 1 });
    for (let t = 1; t <= 3; t++) {
      const countBefore = wrapped.obsRms.count;
      const [, , , truncated, info] = wrapped.step([1, -1]);
      expect(wrapped.obsRms.count).toBe(countBefore + 2);
      if (t === 3) {
        expect(Array.from(truncated)).toEqual([1, 1]);
        const final = info.finalObservations as Float32Array;
        expect(final).not.toBe(vec.info.finalObservations);
        const expected = new Float32Array(6);
        wrapped.normalize(vec.info.finalObservations as Float32Array, expected, 2);
        expect(Array.from(final)).toEqual(Array.from(expected));
      }
    }
  });

  it('VectorNormalizeReward: one return statistic over the batch, per-copy returns zeroed only by termination', () => {
    const vec = makeVec('CartPole-v1', 4, { autoresetMode: 'same-step' });
    const wrapped = new VectorNormalizeReward(vec, 0.9);
    wrapped.reset({ seed: 3 });
    const mirror = new RunningMeanStd(1);
    const returns = new Float64Array(4);
    let terminations = 0;
    for (let t = 0; t < 60; t++) {
      const [, rewards, terminated] = wrapped.step([1, 1, 0, t % 2]);
      for (let i = 0; i < 4; i++) returns[i] = returns[i] * 0.9 * (terminated[i] ? 0 : 1) + vec.rewards[i];
      mirror.update(returns, 4);
      terminations += terminated.reduce((a, b) => a + b, 0);
      for (let i = 0; i < 4; i++) expect(rewards[i]).toBe(vec.rewards[i] / Math.sqrt(mirror.var[0] + 1e-8));
    }
    expect(terminations).toBeGreaterThan(0);
    expect(Array.from(wrapped.returns)).toEqual(Array.from(returns));
    expect(wrapped.getState()).toEqual({ ...mirror.getState(), returns: Array.from(returns) });
  });
});

describe('freezing and restoring the statistics (evaluation, checkpoints)', () => {
  it('updateRunningMean = false applies the statistics without changing them', () => {
    const env = new NormalizeObservation(make('Pendulum-v1'));
    env.reset({ seed: 0 });
    for (let t = 0; t < 20; t++) env.step([1]);
    const frozen = env.getState();
    env.updateRunningMean = false;
    const [obs] = env.step([1]);
    expect(env.getState()).toEqual(frozen);
    const raw = (env.env.unwrapped as unknown as { state: Float64Array }).state;
    const rawObs = [Math.cos(raw[0]), Math.sin(raw[0]), raw[1]].map(Math.fround);
    const expected = new Float32Array(3);
    normalizeWith.center(env.obsRms, env.epsilon, rawObs, 0, expected, 0);
    expect(Array.from(obs)).toEqual(Array.from(expected));

    const rewards = new NormalizeReward(make('Pendulum-v1'));
    rewards.reset({ seed: 0 });
    for (let t = 0; t < 20; t++) rewards.step([1]);
    rewards.updateRunningMean = false;
    const stats = rewards.returnRms.getState();
    rewards.step([1]);
    expect(rewards.returnRms.getState()).toEqual(stats);
  });

  it('setState(getState()) continues exactly as the original, single-env and vector', () => {
    const a = new NormalizeReward(new NormalizeObservation(make('MountainCarContinuous-v0')));
    a.reset({ seed: 4 });
    for (let t = 0; t < 30; t++) a.step([Math.sin(t)]);
    const b = new NormalizeReward(new NormalizeObservation(make('MountainCarContinuous-v0')));
    b.reset({ seed: 4 });
    for (let t = 0; t < 30; t++) b.env.step([Math.sin(t)]);
    // b's statistics differ until restored from a's (JSON round trip: plain numbers).
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    (b.env as NormalizeObservation<Box>).setState(JSON.parse(JSON.stringify((a.env as NormalizeObservation<Box>).getState())));
    for (let t = 30; t < 60; t++) expect(b.step([Math.cos(t)])).toEqual(a.step([Math.cos(t)]));

    const va = new VectorNormalizeReward(new VectorNormalizeObservation(makeVec('Pendulum-v1', 2)));
    va.reset({ seed: 9 });
    for (let t = 0; t < 10; t++) va.step([1, -1]);
    const vb = new VectorNormalizeReward(new VectorNormalizeObservation(makeVec('Pendulum-v1', 2)));
    vb.reset({ seed: 9 });
    for (let t = 0; t < 10; t++) vb.env.step([1, -1]);
    vb.setState(va.getState());
    (vb.env as VectorNormalizeObservation<Box>).setState((va.env as VectorNormalizeObservation<Box>).getState());
    for (let t = 0; t < 10; t++) {
      const [oa, ra] = va.step([0.5, 2]);
      const [ob, rb] = vb.step([0.5, 2]);
      expect([Array.from(ob), Array.from(rb)]).toEqual([Array.from(oa), Array.from(ra)]);
    }
    expect(() => vb.setState({ ...va.getState(), returns: [0] })).toThrow(InvalidArgumentError);
  });
});

describe('ClipAction and RescaleAction', () => {
  it("offer Gymnasium's action spaces and refuse bad bounds or actions", () => {
    const rescaled = new RescaleAction(make('MountainCarContinuous-v0'), -0.5, 0.5);
    expect(rescaled.actionSpace.toString()).toBe('Box(-0.5, 0.5, (1,), float32)');
    expect(new ClipAction(rescaled).actionSpace.toString()).toBe('Box(-inf, inf, (1,), float32)');
    expect(new RescaleAction(make('Pendulum-v1'), [0], [1]).actionSpace.toString()).toBe('Box(0.0, 1.0, (1,), float32)');
    expect(() => new RescaleAction(make('Pendulum-v1'), 1, 0)).toThrow(InvalidArgumentError);
    expect(() => new RescaleAction(make('Pendulum-v1'), -Infinity, 1)).toThrow(/infinite on one side/);
    expect(() => new RescaleAction(make('Pendulum-v1'), [0, 0], 1)).toThrow(InvalidArgumentError);
    const clip = new ClipAction(make('Pendulum-v1'));
    clip.reset({ seed: 0 });
    expect(() => clip.step([1, 2])).toThrow(InvalidArgumentError);
    expect(() => clip.step([Number.NaN])).toThrow(InvalidArgumentError);
  });

  it('RescaleAction maps [min, max] onto the bounds, and ClipAction clips into them', () => {
    const pairs: [number, number][] = [[-1, -2], [1, 2], [0, 0], [0.25, 0.5], [3, 2], [-7, -2]];
    for (const [given, applied] of pairs) {
      const wrapped = new ClipAction(new RescaleAction(make('Pendulum-v1'), -1, 1));
      const plain = make('Pendulum-v1');
      wrapped.reset({ seed: 2 });
      plain.reset({ seed: 2 });
      expect(wrapped.step([given])).toEqual(plain.step([applied]));
    }
  });
});

describe('vector env stacks type-check and run with Box actions', () => {
  it('a VectorEnv of wrapped copies takes a flat action array', () => {
    const vec = new VectorEnv([() => new ClipAction(make('Pendulum-v1')), () => new ClipAction(make('Pendulum-v1'))]);
    vec.reset({ seed: 0 });
    expect(() => vec.step([5, -5])).not.toThrow();
    expect(() => vec.step([5])).toThrow(ShapeError);
  });
});
