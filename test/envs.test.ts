/** The env API: registry, spaces, seeding, errors, wrappers and the pole-down variant. */
import { describe, expect, it } from 'vitest';
import {
  AcrobotEnv,
  Box,
  CARTPOLE_THETA_THRESHOLD,
  CartPoleEnv,
  Discrete,
  MountainCarEnv,
  RecordEpisodeStatistics,
  ResetNeededError,
  RewardShaping,
  TimeLimit,
  envDims,
  envSpec,
  make,
  registeredEnvIds,
  wrapAngle,
  type EpisodeStatistics,
} from '../src/envs/index.js';
import { InvalidArgumentError, UnknownNameError } from '../src/errors.js';
import { Rng } from '../src/random/index.js';

const balance = (obs: Float32Array): number => (obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);

describe('registry and make', () => {
  it('registers the classic-control ids with their time limits', () => {
    expect(registeredEnvIds()).toEqual(expect.arrayContaining(['CartPole-v1', 'CartPolePoleDown-v1', 'Acrobot-v1', 'MountainCar-v0']));
    expect(envSpec('CartPole-v1').maxEpisodeSteps).toBe(500);
    expect(envSpec('MountainCar-v0').maxEpisodeSteps).toBe(200);
    const env = make('Acrobot-v1');
    expect(env).toBeInstanceOf(TimeLimit);
    expect(env.unwrapped).toBeInstanceOf(AcrobotEnv);
    expect(env.spec?.id).toBe('Acrobot-v1');
    expect(make('MountainCar-v0').unwrapped).toBeInstanceOf(MountainCarEnv);
  });

  it('an unknown id lists the registered ids', () => {
    expect(() => make('CartPole-v9')).toThrow(UnknownNameError);
    expect(() => make('CartPole-v9')).toThrow(/CartPole-v9.*CartPole-v1.*Acrobot-v1.*MountainCar-v0/);
  });

  it('spaces match Gymnasium', () => {
    const env = make('CartPole-v1');
    expect(env.actionSpace.n).toBe(2);
    expect(env.observationSpace.shape).toEqual([4]);
    expect(Array.from(env.observationSpace.high)).toEqual([4.800000190734863, Infinity, 0.41887903213500977, Infinity]);
    expect(Array.from(make('MountainCar-v0').observationSpace.low)).toEqual([-1.2000000476837158, -0.07000000029802322]);
    expect(Array.from(make('Acrobot-v1').observationSpace.high)).toEqual([1, 1, 1, 1, 12.566370964050293, 28.274333953857422]);
    expect(make('Acrobot-v1').actionSpace.toString()).toBe('Discrete(3)');
  });

  it('envDims gives the sizes and time limit of the env make() builds, and refuses an unknown id as make does', () => {
    expect(envDims('CartPole-v1')).toEqual({ obsDim: 4, nActions: 2, maxEpisodeSteps: 500 });
    expect(envDims('CartPole-v0')).toEqual({ obsDim: 4, nActions: 2, maxEpisodeSteps: 200 });
    expect(envDims('Acrobot-v1')).toEqual({ obsDim: 6, nActions: 3, maxEpisodeSteps: 500 });
    expect(envDims('MountainCar-v0')).toEqual({ obsDim: 2, nActions: 3, maxEpisodeSteps: 200 });
    for (const id of registeredEnvIds()) {
      const env = make(id);
      const space = env.actionSpace;
      if (space instanceof Discrete) expect(envDims(id), id).toEqual({ obsDim: env.obsDim, nActions: space.n, maxEpisodeSteps: env.spec?.maxEpisodeSteps ?? null });
      // The sizes are those of a Discrete-action algorithm: a Box env is refused, naming it.
      else expect(() => envDims(id), id).toThrow(new RegExp(`^${id} has continuous actions`));
      env.close();
    }
    expect(() => envDims('CartPole-v9')).toThrow(UnknownNameError);
  });
});

describe('spaces', () => {
  it('Discrete.contains accepts only integers in range', () => {
    const d = new Discrete(3);
    expect([0, 1, 2].every((a) => d.contains(a))).toBe(true);
    expect([-1, 3, 0.5, NaN, '1', undefined].some((a) => d.contains(a))).toBe(false);
    expect(new Discrete(2, { start: 5 }).contains(6)).toBe(true);
  });

  it('Discrete.sample is numpy integers(n) of the seeded generator', () => {
    const d = new Discrete(3);
    d.seed(7);
    const rng = new Rng(7);
    const got = Array.from({ length: 50 }, () => d.sample());
    expect(got).toEqual(Array.from({ length: 50 }, () => rng.integers(3)));
    expect(new Set(got)).toEqual(new Set([0, 1, 2]));
  });

  it('Box contains and sample stay within bounds', () => {
    const box = new Box([-1, -Infinity, 0], [1, Infinity, Infinity]);
    box.seed(3);
    for (let i = 0; i < 100; i++) expect(box.contains(box.sample())).toBe(true);
    expect(box.contains([2, 0, 0])).toBe(false);
    expect(box.contains([0, 0])).toBe(false);
    expect(() => new Box([1], [0])).toThrow(InvalidArgumentError);
  });
});

describe('seeding', () => {
  it('reset without a seed continues the env stream (as Gymnasium)', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 3 });
    const [obs] = env.reset();
    const rng = new Rng(3);
    for (let i = 0; i < 4; i++) rng.random();
    const expected = Array.from({ length: 4 }, () => Math.fround(rng.uniform(-0.05, 0.05)));
    expect(Array.from(obs)).toEqual(expected);
  });

  it('the same seed gives the same episode; reset bounds options are honoured', () => {
    const a = make('MountainCar-v0'), b = make('MountainCar-v0');
    expect(a.reset({ seed: 11 })[0]).toEqual(b.reset({ seed: 11 })[0]);
    const [obs] = a.reset({ seed: 1, options: { low: -0.51, high: -0.5 } });
    expect(obs[0]).toBeGreaterThanOrEqual(-0.51);
    expect(obs[0]).toBeLessThan(-0.5);
  });
});

describe('bad input', () => {
  it('an action outside the action space names the action and the space', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    for (const bad of [2, -1, 0.5, NaN]) {
      expect(() => env.step(bad)).toThrow(InvalidArgumentError);
      expect(() => env.step(bad)).toThrow(new RegExp(`action ${String(bad)} is not in the action space Discrete\\(2\\)`));
    }
    expect(() => make('Acrobot-v1').step(0)).toThrow(ResetNeededError);
    const acro = make('MountainCar-v0');
    acro.reset({ seed: 0 });
    expect(() => acro.step(3)).toThrow(/Discrete\(3\)/);
  });

  it('rejects an unknown render mode and a bad time limit', () => {
    expect(() => make('CartPole-v1', { renderMode: 'human' as 'rgb_array' })).toThrow(InvalidArgumentError);
    expect(() => make('CartPole-v1', { maxEpisodeSteps: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('wrappers', () => {
  it('TimeLimit truncates at maxEpisodeSteps and stays truncated while the physics runs on', () => {
    const env = make('CartPole-v1', { maxEpisodeSteps: 5 });
    let [obs] = env.reset({ seed: 0 });
    const flags: boolean[] = [];
    for (let t = 1; t <= 7; t++) {
      const before = (env.unwrapped as CartPoleEnv).state[0];
      const r = env.step(balance(obs));
      obs = r[0];
      flags.push(r[3]);
      expect((env.unwrapped as CartPoleEnv).state[0]).not.toBe(before);
    }
    expect(flags).toEqual([false, false, false, false, true, true, true]);
    env.reset();
    expect(env.step(0)[3]).toBe(false);
  });

  it('maxEpisodeSteps: null removes the limit', () => {
    const env = make('CartPole-v1', { maxEpisodeSteps: null });
    let [obs] = env.reset({ seed: 0 });
    for (let t = 0; t < 600; t++) {
      const r = env.step(balance(obs));
      obs = r[0];
      expect(r[3]).toBe(false);
    }
  });

  it('RecordEpisodeStatistics reports {r, l, t} on the last step only', () => {
    const env = new RecordEpisodeStatistics(make('CartPole-v1'));
    env.reset({ seed: 0 });
    const actionRng = new Rng(1000); // the reference's action stream for random seed 0
    const actions = (n: number): number => actionRng.integers(n);
    let steps = 0;
    for (;;) {
      const [, , terminated, truncated, info] = env.step(actions(2));
      steps++;
      if (terminated || truncated) {
        const ep = info.episode as EpisodeStatistics;
        expect(ep.r).toBe(25); // reference: random seed 0 lasts 25 steps
        expect(ep.l).toBe(25);
        expect(ep.t).toBeGreaterThanOrEqual(0);
        break;
      }
      expect(info.episode).toBeUndefined();
    }
    expect(steps).toBe(25);
    expect(env.returnQueue).toEqual([25]);
    expect(env.lengthQueue).toEqual([25]);
  });

  it("reward shaping 'cartpole-position' gives reward - |x| and leaves the flags alone", () => {
    const env = make('CartPole-v1', { rewardShaping: 'cartpole-position', recordEpisodeStatistics: true });
    const plain = make('CartPole-v1');
    env.reset({ seed: 5 });
    plain.reset({ seed: 5 });
    for (let t = 0; t < 40; t++) {
      const [obs, reward, terminated, truncated, info] = env.step(t % 3 === 0 ? 1 : 0);
      const [pobs, preward, pterm, ptrunc] = plain.step(t % 3 === 0 ? 1 : 0);
      expect(obs).toEqual(pobs);
      expect(reward).toBe(preward - Math.abs(pobs[0]));
      expect([terminated, truncated]).toEqual([pterm, ptrunc]);
      if (terminated) {
        // statistics sit inside the shaping, so they count the env's own reward
        expect((info.episode as EpisodeStatistics).r).toBe((info.episode as EpisodeStatistics).l);
        break;
      }
    }
    expect(() => make('CartPole-v1', { rewardShaping: 'nope' as 'none' })).toThrow(/cartpole-position/);
    const custom = new RewardShaping(make('CartPole-v1'), (obs, r) => 10 * r + obs[1]);
    custom.reset({ seed: 1 });
    const [o, r] = custom.step(1);
    expect(r).toBe(10 + o[1]);
  });
});

describe('CartPolePoleDown-v1', () => {
  it('starts with the internal theta near pi, not only the observation', () => {
    const env = make('CartPolePoleDown-v1');
    const [obs] = env.reset({ seed: 42 });
    const raw = env.unwrapped as CartPoleEnv;
    expect(raw.poleDown).toBe(true);
    const std = new CartPoleEnv();
    std.reset({ seed: 42 });
    expect(raw.state[2]).toBe(std.state[2] + Math.PI);
    expect(obs[2]).toBe(Math.fround(raw.state[2]));
    expect([raw.state[0], raw.state[1], raw.state[3]]).toEqual([std.state[0], std.state[1], std.state[3]]);
    expect(env.observationSpace.contains(obs)).toBe(true);
  });

  it('the termination rule: angle termination suppressed within +-0.2094 rad of pi', () => {
    const env = new CartPoleEnv({ poleDown: true });
    const thr = CARTPOLE_THETA_THRESHOLD;
    expect(env.isTerminal(0, Math.PI)).toBe(false);
    expect(env.isTerminal(0, Math.PI + thr - 1e-9)).toBe(false);
    expect(env.isTerminal(0, Math.PI - thr + 1e-9)).toBe(false);
    expect(env.isTerminal(0, Math.PI + thr + 1e-9)).toBe(true);
    expect(env.isTerminal(0, -Math.PI + 0.1)).toBe(false); // also hanging down, wrapped
    expect(env.isTerminal(0, 3 * Math.PI - 0.1)).toBe(false);
    expect(env.isTerminal(0, 0.1)).toBe(false); // upright still counts as alive
    expect(env.isTerminal(0, 1.0)).toBe(true);
    expect(env.isTerminal(2.41, Math.PI)).toBe(true);
    const std = new CartPoleEnv();
    expect(std.isTerminal(0, Math.PI)).toBe(true);
    expect(wrapAngle(3 * Math.PI - 0.1)).toBeCloseTo(Math.PI - 0.1, 12);
  });

  it('a hanging pole survives gentle alternating pushes and terminates once it swings out', () => {
    const env = make('CartPolePoleDown-v1', { maxEpisodeSteps: null });
    const raw = env.unwrapped as CartPoleEnv;
    env.reset({ seed: 0 });
    for (let t = 0; t < 200; t++) expect(env.step(t % 2)[2]).toBe(false);
    // Constant pushing makes the pendulum swing beyond pi +- 0.2094.
    let ended = 0;
    for (let t = 1; t <= 200 && !ended; t++) {
      const [, reward, terminated] = env.step(1);
      const outOfBand = Math.abs(wrapAngle(raw.state[2] - Math.PI)) > CARTPOLE_THETA_THRESHOLD || Math.abs(raw.state[0]) > 2.4;
      expect(terminated).toBe(outOfBand);
      expect(reward).toBe(1);
      if (terminated) ended = t;
    }
    expect(ended).toBeGreaterThan(0);
    expect(env.step(0)[1]).toBe(0); // steps after termination give 0, as CartPole-v1
  });
});
