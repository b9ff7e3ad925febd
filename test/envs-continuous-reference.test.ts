/**
 * Replays the Pendulum-v1 and MountainCarContinuous-v0 episodes of test/fixtures/gymnasium
 * (Gymnasium 1.x trajectories with float32 Box actions) through our envs, as envs-reference.test.ts
 * does for the Discrete envs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Box, MountainCarContinuousEnv, PendulumEnv, ResetNeededError, angleNormalize, envSpec, make, newStepRecord } from '../src/envs/index.js';
import { InvalidArgumentError } from '../src/errors.js';

interface RefStep {
  t: number;
  action: number[];
  obs: number[];
  state: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
}
interface RefEpisode {
  seed: number;
  policy: string;
  reset_obs: number[];
  reset_state: number[];
  steps: RefStep[];
  post_end_steps?: RefStep[];
  length: number;
  end: string;
  return: number;
}
interface RefFile {
  env_id: 'Pendulum-v1' | 'MountainCarContinuous-v0';
  max_episode_steps: number;
  action_space: { low: number[]; high: number[]; dtype: string };
  seed42: { reset_obs: number[]; reset_state: number[] };
  episodes: RefEpisode[];
}

const load = (name: string): RefFile =>
  JSON.parse(readFileSync(new URL(`./fixtures/gymnasium/${name}`, import.meta.url), 'utf8')) as RefFile;
const pendulum = load('pendulum_v1_ref.json');
const mountainCarContinuous = load('mountaincarcontinuous_v0_ref.json');
type RawEnv = PendulumEnv | MountainCarContinuousEnv;
const rawOf = (file: RefFile): RawEnv => (file.env_id === 'Pendulum-v1' ? new PendulumEnv() : new MountainCarContinuousEnv());
const allSteps = (ep: RefEpisode): RefStep[] => [...ep.steps, ...(ep.post_end_steps ?? [])];

describe('spaces and registration as Gymnasium registers them', () => {
  it('action spaces, time limits and reward thresholds', () => {
    for (const file of [pendulum, mountainCarContinuous]) {
      const space = make(file.env_id).actionSpace;
      expect(space).toBeInstanceOf(Box);
      expect([Array.from(space.low), Array.from(space.high), space.dtype]).toEqual([file.action_space.low, file.action_space.high, file.action_space.dtype]);
      expect(envSpec(file.env_id).maxEpisodeSteps).toBe(file.max_episode_steps);
    }
    expect(envSpec('Pendulum-v1').rewardThreshold).toBeNull();
    expect(envSpec('MountainCarContinuous-v0').rewardThreshold).toBe(90);
    expect(Array.from(make('Pendulum-v1').observationSpace.high)).toEqual([1, 1, 8]);
    expect(Array.from(make('MountainCarContinuous-v0').observationSpace.low)).toEqual([-1.2000000476837158, -0.07000000029802322]);
  });

  it('Box(low, high) seeded 1000 + seed samples every recorded random action (rng.uniform(low, high).astype(float32))', () => {
    for (const file of [pendulum, mountainCarContinuous]) {
      for (const ep of file.episodes.filter((e) => e.policy === 'random')) {
        const box = new Box(file.action_space.low, file.action_space.high);
        box.seed(1000 + ep.seed);
        const actions = allSteps(ep).map((s) => s.action);
        const sampled = actions.map(() => Array.from(box.sample()));
        expect(sampled).toEqual(actions);
        expect(sampled.every((a) => box.contains(a))).toBe(true);
      }
    }
    const torque = make('Pendulum-v1').actionSpace;
    expect([torque.contains([2]), torque.contains([-2]), torque.contains(new Float32Array([1.5]))]).toEqual([true, true, true]);
    expect([torque.contains([2.0001]), torque.contains([Number.NaN]), torque.contains([0, 0]), torque.contains([])]).toEqual([false, false, false, false]);
    expect(torque.toString()).toBe('Box(-2.0, 2.0, (1,), float32)');
    expect(torque.equals(make('Pendulum-v1').actionSpace)).toBe(true);
    expect(torque.equals(make('MountainCarContinuous-v0').actionSpace)).toBe(false);
  });
});

describe('MountainCarContinuous-v0 matches Gymnasium bit for bit', () => {
  const file = mountainCarContinuous;

  it('has the episodes the README lists', () => {
    expect(file.episodes.map((e) => `${e.policy}${e.seed}`)).toEqual(['random0', 'random1', 'random2', 'random3', 'random4', 'pump0', 'wild0']);
  });

  it('seed 42 reset', () => {
    const env = make(file.env_id);
    expect(Array.from(env.reset({ seed: 42 })[0])).toEqual(file.seed42.reset_obs);
    expect(Array.from((env.unwrapped as MountainCarContinuousEnv).state)).toEqual(file.seed42.reset_state);
  });

  for (const ep of file.episodes) {
    it(`${ep.policy} seed ${ep.seed}: float64 states, float32 obs, rewards, flags (${ep.length} steps, ${ep.end})`, () => {
      const env = make(file.env_id);
      const raw = env.unwrapped as MountainCarContinuousEnv;
      const [obs0] = env.reset({ seed: ep.seed });
      expect(Array.from(obs0)).toEqual(ep.reset_obs);
      expect(Array.from(raw.state)).toEqual(ep.reset_state);
      let total = 0;
      for (const step of allSteps(ep)) {
        const [obs, reward, terminated, truncated] = env.step(step.action);
        const where = `t=${step.t}`;
        expect(Array.from(raw.state), where).toEqual(step.state);
        expect(Array.from(obs), where).toEqual(step.obs);
        expect([reward, terminated, truncated], where).toEqual([step.reward, step.terminated, step.truncated]);
        if (step.t <= ep.length) total += reward;
      }
      expect(total).toBe(ep.return);
    });
  }

  it('wild: a push beyond +-1 moves the car as +-1 does, but the reward is charged on the push as given', () => {
    const wild = file.episodes.find((e) => e.policy === 'wild') as RefEpisode;
    expect(wild.steps.every((s) => Math.abs(s.action[0]) > 1)).toBe(true);
    const clipped = make(file.env_id);
    const raw = make(file.env_id);
    clipped.reset({ seed: wild.seed });
    raw.reset({ seed: wild.seed });
    for (const step of wild.steps.slice(0, 20)) {
      const a = step.action[0];
      const [obsClipped, rewardClipped] = clipped.step([Math.sign(a)]);
      const [obs, reward] = raw.step(step.action);
      expect(Array.from(obs)).toEqual(Array.from(obsClipped));
      expect(rewardClipped).toBe(-0.1);
      expect(reward).toBe(0 - a * a * 0.1);
      expect(reward).toBe(step.reward);
    }
  });
});

describe('Pendulum-v1 matches Gymnasium to the README precision', () => {
  const file = pendulum;

  it('has the episodes the README lists', () => {
    expect(file.episodes.map((e) => `${e.policy}${e.seed}`)).toEqual(['random0', 'random1', 'random2', 'random3', 'random4', 'swing0', 'wild0']);
  });

  it('seed 42 reset is exact', () => {
    const env = make(file.env_id);
    expect(Array.from(env.reset({ seed: 42 })[0])).toEqual(file.seed42.reset_obs);
    expect(Array.from((env.unwrapped as PendulumEnv).state)).toEqual(file.seed42.reset_state);
  });

  for (const ep of file.episodes) {
    it(`${ep.policy} seed ${ep.seed}: one step at a time from the reference state, obs, reward and flags exact`, () => {
      const env = rawOf(file) as PendulumEnv;
      const [obs0] = env.reset({ seed: ep.seed });
      expect(Array.from(obs0)).toEqual(ep.reset_obs);
      expect(Array.from(env.state)).toEqual(ep.reset_state);
      let state = ep.reset_state;
      let sameState = 0;
      const steps = allSteps(ep);
      for (const step of steps) {
        env.state.set(state);
        const obs = new Float32Array(env.obsDim);
        const rec = newStepRecord();
        env.stepInto(step.action, obs, 0, rec);
        expect(Array.from(obs), `t=${step.t}`).toEqual(step.obs);
        expect([rec.reward, rec.terminated], `t=${step.t}`).toEqual([step.reward, step.terminated]);
        // V8's sin differs from glibc's by 1 ulp now and then, and theta_dot with it.
        if (Array.from(env.state).every((v, i) => v === step.state[i])) sameState++;
        state = step.state;
      }
      expect(sameState / steps.length).toBeGreaterThanOrEqual(0.97);
    });

    it(`${ep.policy} seed ${ep.seed}: full rollout through make(), obs within 1e-5, rewards within 1e-12 relative, flags exact`, () => {
      const env = make(file.env_id);
      env.reset({ seed: ep.seed });
      let maxObsErr = 0;
      let maxRewardErr = 0;
      let total = 0;
      for (const step of allSteps(ep)) {
        const [obs, reward, terminated, truncated] = env.step(step.action);
        for (let i = 0; i < obs.length; i++) maxObsErr = Math.max(maxObsErr, Math.abs(obs[i] - step.obs[i]));
        maxRewardErr = Math.max(maxRewardErr, Math.abs(reward - step.reward) / Math.max(1, Math.abs(step.reward)));
        expect([terminated, truncated], `t=${step.t}`).toEqual([step.terminated, step.truncated]);
        if (step.t <= ep.length) total += reward;
      }
      expect(maxObsErr).toBeLessThan(1e-5);
      expect(maxRewardErr).toBeLessThan(1e-12);
      expect(Math.abs(total - ep.return)).toBeLessThan(1e-9);
    });
  }

  it('wild: a torque beyond +-2 is clipped before it is applied and charged', () => {
    const wild = file.episodes.find((e) => e.policy === 'wild') as RefEpisode;
    expect(wild.steps.every((s) => Math.abs(s.action[0]) > 2)).toBe(true);
    const clipped = make(file.env_id);
    const raw = make(file.env_id);
    clipped.reset({ seed: wild.seed });
    raw.reset({ seed: wild.seed });
    for (const step of wild.steps) {
      const [obsClipped, rewardClipped] = clipped.step([2 * Math.sign(step.action[0])]);
      const [obs, reward] = raw.step(step.action);
      expect(Array.from(obs)).toEqual(Array.from(obsClipped));
      expect(reward).toBe(rewardClipped);
      expect((raw.unwrapped as PendulumEnv).lastU).toBe(2 * Math.sign(step.action[0]));
    }
  });

  it('angleNormalize is Python floored modulo into [-pi, pi)', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(Math.PI)).toBe(-Math.PI);
    expect(angleNormalize(-Math.PI)).toBe(-Math.PI);
    expect(angleNormalize(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 15);
    expect(angleNormalize(-3 * Math.PI / 2)).toBeCloseTo(Math.PI / 2, 15);
  });
});

describe('continuous envs: episodes, actions and reset options', () => {
  it('Pendulum never terminates; TimeLimit truncates at 200 and keeps truncating, the physics running on', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 3 });
    for (let t = 1; t <= 203; t++) {
      const [, , terminated, truncated] = env.step([0.5]);
      expect([terminated, truncated], `t=${t}`).toEqual([false, t >= 200]);
    }
  });

  it('MountainCarContinuous keeps stepping after it terminates (no post-terminal logic), and truncates at 999', () => {
    const pump = mountainCarContinuous.episodes.find((e) => e.policy === 'pump') as RefEpisode;
    const env = make('MountainCarContinuous-v0');
    env.reset({ seed: pump.seed });
    for (const step of pump.steps) env.step(step.action);
    const [, reward, terminated] = env.step([1]);
    expect(terminated).toBe(true);
    expect(reward).toBeCloseTo(100 - 0.1, 12);
    const idle = make('MountainCarContinuous-v0');
    idle.reset({ seed: 0 });
    let last: boolean[] = [];
    for (let t = 1; t <= 999; t++) {
      const [, , te, tr] = idle.step([0]);
      last = [te, tr];
      if (t < 999) expect(tr).toBe(false);
    }
    expect(last).toEqual([false, true]);
  });

  it('refuses actions that are not an array of the right length of finite numbers, and steps before reset', () => {
    for (const id of ['Pendulum-v1', 'MountainCarContinuous-v0'] as const) {
      const env = make(id);
      expect(() => env.step([0])).toThrow(ResetNeededError);
      env.reset({ seed: 0 });
      expect(() => env.step([Number.NaN])).toThrow(InvalidArgumentError);
      expect(() => env.step([Number.POSITIVE_INFINITY])).toThrow(InvalidArgumentError);
      expect(() => env.step([0, 0])).toThrow(/takes an array of 1 number/);
      expect(() => env.step([])).toThrow(InvalidArgumentError);
      expect(() => (env as unknown as { step(a: number): unknown }).step(0)).toThrow(InvalidArgumentError);
      expect(() => env.step(new Float32Array([0.25]))).not.toThrow();
    }
  });

  it("reset options: Pendulum's x_init / y_init, MountainCarContinuous's low / high", () => {
    const p = make('Pendulum-v1');
    p.reset({ seed: 5, options: { x_init: 0.1, y_init: 0.01 } });
    const [th, thdot] = (p.unwrapped as PendulumEnv).state;
    expect(Math.abs(th)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(thdot)).toBeLessThanOrEqual(0.01);
    const m = make('MountainCarContinuous-v0');
    const [obs] = m.reset({ seed: 5, options: { low: -0.5, high: -0.5 } });
    expect(Array.from(obs)).toEqual([-0.5, 0]);
    expect(() => p.reset({ options: { x_init: Number.NaN } })).toThrow(InvalidArgumentError);
  });
});
