/** Replays every episode of test/fixtures/gymnasium (Gymnasium 1.x trajectories) through our envs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcrobotEnv, CartPoleEnv, MountainCarEnv, make, newStepRecord } from '../src/envs/index.js';
import { Rng } from '../src/random/index.js';

interface RefStep {
  t: number;
  action: number;
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
  post_end_steps: RefStep[];
  length: number;
  end: string;
  return: number;
}
interface RefFile {
  env_id: string;
  max_episode_steps: number;
  seed42: { reset_obs: number[]; reset_state: number[] };
  episodes: RefEpisode[];
}

const load = (name: string): RefFile =>
  JSON.parse(readFileSync(new URL(`./fixtures/gymnasium/${name}`, import.meta.url), 'utf8')) as RefFile;
const cartpole = load('cartpole_v1_ref.json');
const acrobot = load('acrobot_v1_ref.json');
const mountainCar = load('mountaincar_v0_ref.json');
type RawEnv = CartPoleEnv | AcrobotEnv | MountainCarEnv;

describe('random actions', () => {
  it('Rng(1000 + seed).integers(n) reproduces every recorded random action', () => {
    for (const [file, n] of [[cartpole, 2], [acrobot, 3], [mountainCar, 3]] as const) {
      for (const ep of file.episodes.filter((e) => e.policy === 'random')) {
        const rng = new Rng(1000 + ep.seed);
        const actions = [...ep.steps, ...ep.post_end_steps].map((s) => s.action);
        expect(actions.map(() => rng.integers(n))).toEqual(actions);
      }
    }
  });
});

describe('CartPole-v1 matches Gymnasium bit for bit', () => {
  it('has the episodes the README lists', () => {
    expect(cartpole.episodes.map((e) => `${e.policy}${e.seed}`)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `random${i}`),
      'balance0',
    ]);
  });

  it('seed 42 reset', () => {
    const env = make('CartPole-v1');
    const [obs] = env.reset({ seed: 42 });
    expect(Array.from(obs)).toEqual(cartpole.seed42.reset_obs);
    expect(Array.from((env.unwrapped as CartPoleEnv).state)).toEqual(cartpole.seed42.reset_state);
  });

  for (const ep of cartpole.episodes) {
    it(`${ep.policy} seed ${ep.seed}: states, obs, rewards, flags (${ep.length} steps + ${ep.post_end_steps.length} after the end)`, () => {
      const env = make('CartPole-v1');
      const raw = env.unwrapped as CartPoleEnv;
      const [obs0] = env.reset({ seed: ep.seed });
      expect(Array.from(obs0)).toEqual(ep.reset_obs);
      expect(Array.from(raw.state)).toEqual(ep.reset_state);
      let total = 0;
      let prev = obs0;
      for (const step of [...ep.steps, ...ep.post_end_steps]) {
        if (ep.policy === 'balance') expect(step.action).toBe(prev[2] + 0.5 * prev[3] > 0 ? 1 : 0);
        const [obs, reward, terminated, truncated] = env.step(step.action);
        const where = `t=${step.t}`;
        expect(Array.from(raw.state), where).toEqual(step.state);
        expect(Array.from(obs), where).toEqual(step.obs);
        expect([reward, terminated, truncated], where).toEqual([step.reward, step.terminated, step.truncated]);
        if (step.t <= ep.length) total += reward;
        prev = obs;
      }
      expect(total).toBe(ep.return);
    });
  }
});

/** Sets the raw env's state to `state` and takes one step; returns obs, reward and terminated. */
function stepFrom(env: RawEnv, state: number[], action: number): [number[], number, boolean] {
  env.state.set(state);
  const obs = new Float32Array(env.obsDim);
  const rec = newStepRecord();
  env.stepInto(action, obs, 0, rec);
  return [Array.from(obs), rec.reward, rec.terminated];
}

for (const [file, makeRaw, exactStates] of [
  [acrobot, () => new AcrobotEnv(), 0.8],
  [mountainCar, () => new MountainCarEnv(), 0.98],
] as const) {
  describe(`${file.env_id} matches Gymnasium to the README's precision`, () => {
    it('seed 42 reset is exact', () => {
      const env = make(file.env_id);
      expect(Array.from(env.reset({ seed: 42 })[0])).toEqual(file.seed42.reset_obs);
      expect(Array.from((env.unwrapped as RawEnv).state)).toEqual(file.seed42.reset_state);
    });

    for (const ep of file.episodes) {
      it(`${ep.policy} seed ${ep.seed}: one step at a time from the reference state, obs exact`, () => {
        const env = makeRaw();
        const [obs0] = env.reset({ seed: ep.seed });
        expect(Array.from(obs0)).toEqual(ep.reset_obs);
        expect(Array.from(env.state)).toEqual(ep.reset_state);
        let state = ep.reset_state;
        let sameState = 0;
        const all = [...ep.steps, ...ep.post_end_steps];
        for (const step of all) {
          const [obs, reward, terminated] = stepFrom(env, state, step.action);
          expect(obs, `t=${step.t}`).toEqual(step.obs);
          expect([reward, terminated], `t=${step.t}`).toEqual([step.reward, step.terminated]);
          if (Array.from(env.state).every((v, i) => v === step.state[i])) sameState++;
          state = step.state;
        }
        expect(sameState / all.length).toBeGreaterThanOrEqual(exactStates);
      });

      it(`${ep.policy} seed ${ep.seed}: full rollout through make(), obs within 1e-4, flags and rewards exact`, () => {
        const env = make(file.env_id);
        env.reset({ seed: ep.seed });
        let maxErr = 0;
        for (const step of [...ep.steps, ...ep.post_end_steps]) {
          const [obs, reward, terminated, truncated] = env.step(step.action);
          for (let i = 0; i < obs.length; i++) maxErr = Math.max(maxErr, Math.abs(obs[i] - step.obs[i]));
          expect([reward, terminated, truncated], `t=${step.t}`).toEqual([step.reward, step.terminated, step.truncated]);
        }
        expect(maxErr).toBeLessThan(1e-4);
      });
    }
  });
}
