/** VectorEnv: seeding, both autoreset modes against single envs, statistics, array reuse. */
import { describe, expect, it } from 'vitest';
import { VectorEnv, make, makeVec, type AutoresetMode } from '../src/envs/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/index.js';

describe('VectorEnv', () => {
  it('reset({seed}) seeds copy i with seed + i; SoA layout', () => {
    const vec = makeVec('CartPole-v1', 4);
    const [obs] = vec.reset({ seed: 10 });
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs.length).toBe(16);
    for (let i = 0; i < 4; i++) {
      const [single] = make('CartPole-v1').reset({ seed: 10 + i });
      expect(Array.from(obs.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(single));
    }
    expect(vec.rewards).toBeInstanceOf(Float64Array);
    expect(vec.terminated).toBeInstanceOf(Uint8Array);
    expect(vec.truncated).toBeInstanceOf(Uint8Array);
  });

  for (const mode of ['next-step', 'same-step'] as AutoresetMode[]) {
    it(`${mode} autoreset equals N single envs driven by hand`, () => {
      const n = 5;
      const id = 'CartPole-v1';
      const vec = makeVec(id, n, { autoresetMode: mode, maxEpisodeSteps: 30 });
      const singles = Array.from({ length: n }, () => make(id, { maxEpisodeSteps: 30 }));
      vec.reset({ seed: 100 });
      singles.forEach((e, i) => e.reset({ seed: 100 + i }));
      const needsReset = new Array<boolean>(n).fill(false);
      const ret = new Array<number>(n).fill(0), len = new Array<number>(n).fill(0);
      const rng = new Rng(5);
      const actions = new Int32Array(n);
      let ends = 0, autoresets = 0;
      const first = vec.step(actions);
      vec.reset({ seed: 100 });
      for (let t = 0; t < 200; t++) {
        for (let i = 0; i < n; i++) actions[i] = rng.integers(2);
        const result = vec.step(actions);
        expect(result).toBe(first); // the same tuple and arrays every step
        const [obs, rewards, terminated, truncated, info] = result;
        for (let i = 0; i < n; i++) {
          const row = Array.from(obs.subarray(4 * i, 4 * i + 4));
          if (mode === 'next-step' && needsReset[i]) {
            const [o] = singles[i].reset();
            expect(row).toEqual(Array.from(o));
            expect([rewards[i], terminated[i], truncated[i], info.autoreset[i]]).toEqual([0, 0, 0, 1]);
            needsReset[i] = false;
            autoresets++;
            continue;
          }
          const [o, r, term, trunc] = singles[i].step(actions[i]);
          ret[i] += r;
          len[i] += 1;
          expect([rewards[i], terminated[i], truncated[i]]).toEqual([r, term ? 1 : 0, trunc ? 1 : 0]);
          if (term || trunc) {
            ends++;
            expect([info.episodeReturns[i], info.episodeLengths[i]]).toEqual([ret[i], len[i]]);
            ret[i] = 0;
            len[i] = 0;
            if (mode === 'same-step') {
              expect(Array.from(info.finalObservations!.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(o));
              const [ro] = singles[i].reset();
              expect(row).toEqual(Array.from(ro));
              expect(info.autoreset[i]).toBe(1);
              autoresets++;
            } else {
              expect(row).toEqual(Array.from(o));
              needsReset[i] = true;
            }
          } else {
            expect(row).toEqual(Array.from(o));
            expect(info.autoreset[i]).toBe(0);
          }
        }
      }
      expect(ends).toBeGreaterThan(10);
      expect(autoresets).toBeGreaterThan(10);
      expect(vec.episodesCompleted).toBe(ends);
    });
  }

  it('works for Acrobot and MountainCar, and checks its input', () => {
    const vec = makeVec('MountainCar-v0', 3);
    vec.reset({ seed: 0 });
    expect(vec.step([0, 1, 2])[0].length).toBe(6);
    expect(() => vec.step([0, 1])).toThrow(ShapeError);
    expect(() => vec.step([0, 1, 3])).toThrow(InvalidArgumentError);
    expect(() => makeVec('Acrobot-v1', 2).step([0, 0])).toThrow(InvalidArgumentError);
    expect(() => makeVec('Acrobot-v1', 0)).toThrow(InvalidArgumentError);
    expect(() => new VectorEnv([() => make('CartPole-v1'), () => make('Acrobot-v1')])).toThrow(ShapeError);
    expect(() => makeVec('CartPole-v1', 1, { autoresetMode: 'sometimes' as AutoresetMode })).toThrow(InvalidArgumentError);
  });
});
