/** VectorEnv with Box actions: the flat row-major action array, both autoreset modes against single envs, no per-step arrays. */
import { describe, expect, it } from 'vitest';
import { Box, Env, FlatActions, VectorEnv, actionDim, make, makeVec, type ActionSpace, type AutoresetMode, type Info, type RgbFrame, type StepRecord } from '../src/envs/index.js';
import { Discrete } from '../src/envs/spaces.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/index.js';

/** An env with 2-dim Box actions that keeps every action array it is handed (to see the rows and their identity). */
class RecordingEnv extends Env<Box> {
  readonly received: ArrayLike<number>[] = [];
  readonly copies: number[][] = [];
  private readonly obsSpace = new Box([-10, -10], [10, 10]);
  private readonly actSpace = new Box([-1, -1], [1, 1]);
  get observationSpace(): Box {
    return this.obsSpace;
  }
  get actionSpace(): Box {
    return this.actSpace;
  }
  get renderMode(): null {
    return null;
  }
  resetInto(obs: Float32Array, offset: number): Info | undefined {
    obs.fill(0, offset, offset + 2);
    return undefined;
  }
  stepInto(action: ArrayLike<number>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.received.push(action);
    this.copies.push(Array.from(action));
    obs[offset] = action[0];
    obs[offset + 1] = action[1];
    out.reward = action[0] + action[1];
    out.terminated = false;
    out.truncated = false;
  }
  render(): RgbFrame | null {
    return null;
  }
}

describe('actionDim and FlatActions', () => {
  it('actionDim is 1 for Discrete (the index) and the length for Box', () => {
    expect(actionDim(new Discrete(3))).toBe(1);
    expect(actionDim(new Box([0, 0, 0], [1, 1, 1]))).toBe(3);
    expect(makeVec('Pendulum-v1', 2).actionDim).toBe(1);
    expect(makeVec('CartPole-v1', 2).actionDim).toBe(1);
  });

  it('hands copy i its row, in a Float32Array of its own reused from call to call', () => {
    const flat = new FlatActions(new Box([-1, -1], [1, 1]), 3);
    const actions = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const rows = [0, 1, 2].map((i) => flat.at(actions, i));
    expect(rows.map((r) => Array.from(r))).toEqual([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]].map((r) => r.map(Math.fround)));
    expect(rows.every((r) => r instanceof Float32Array)).toBe(true);
    expect(flat.at(actions, 1)).toBe(rows[1]);
    expect(() => flat.check(actions.subarray(0, 5), 'here')).toThrow(/expected 6 numbers \(3 actions of 2, row-major\), got 5/);
    const discrete = new FlatActions(new Discrete(2), 3);
    expect([0, 1, 2].map((i) => discrete.at([1, 0, 1], i))).toEqual([1, 0, 1]);
  });
});

describe('VectorEnv with Box actions', () => {
  it('step takes N * actionDim numbers row-major; copy i gets row i through the same Float32Array every step', () => {
    const copies = [new RecordingEnv(), new RecordingEnv(), new RecordingEnv()];
    const vec = new VectorEnv(copies.map((e) => () => e));
    expect(vec.actionDim).toBe(2);
    vec.reset();
    const actions = new Float64Array(6);
    for (let t = 0; t < 4; t++) {
      for (let k = 0; k < 6; k++) actions[k] = t + k / 10;
      const [obs, rewards] = vec.step(actions);
      for (let i = 0; i < 3; i++) {
        const row = [actions[2 * i], actions[2 * i + 1]].map(Math.fround);
        expect(copies[i].copies[t]).toEqual(row);
        expect(Array.from(obs.subarray(2 * i, 2 * i + 2))).toEqual(row);
        expect(rewards[i]).toBe(row[0] + row[1]);
      }
    }
    for (const env of copies) expect(new Set(env.received).size).toBe(1);
    expect(() => vec.step(new Float64Array(3))).toThrow(ShapeError);
    expect(() => vec.step(new Float64Array(7))).toThrow(ShapeError);
  });

  for (const mode of ['next-step', 'same-step'] as AutoresetMode[]) {
    it(`${mode} autoreset on MountainCarContinuous (terminations and truncations) equals single envs stepped by hand`, () => {
      const n = 4;
      const limit = 130;
      const vec = makeVec('MountainCarContinuous-v0', n, { autoresetMode: mode, maxEpisodeSteps: limit });
      const singles = Array.from({ length: n }, () => make('MountainCarContinuous-v0', { maxEpisodeSteps: limit }));
      vec.reset({ seed: 20 });
      const current = singles.map((e, i) => Array.from(e.reset({ seed: 20 + i })[0]));
      const needsReset = new Array<boolean>(n).fill(false);
      const rng = new Rng(3);
      const actions = new Float32Array(n);
      let terminations = 0, truncations = 0;
      for (let t = 0; t < 400; t++) {
        // Copies 0 and 1 pump (and reach the flag); 2 and 3 push at random (and run out of time).
        for (let i = 0; i < n; i++) actions[i] = i < 2 ? (current[i][1] > 0 ? 1.5 : -1.5) : rng.uniform(-1, 1);
        const [obs, rewards, terminated, truncated, info] = vec.step(actions);
        for (let i = 0; i < n; i++) {
          const row = Array.from(obs.subarray(2 * i, 2 * i + 2));
          if (mode === 'next-step' && needsReset[i]) {
            current[i] = Array.from(singles[i].reset()[0]);
            expect(row).toEqual(current[i]);
            expect([rewards[i], terminated[i], truncated[i], info.autoreset[i]]).toEqual([0, 0, 0, 1]);
            needsReset[i] = false;
            continue;
          }
          const [o, r, term, trunc] = singles[i].step([actions[i]]);
          expect([rewards[i], terminated[i], truncated[i]], `t=${t} copy ${i}`).toEqual([r, term ? 1 : 0, trunc ? 1 : 0]);
          terminations += term ? 1 : 0;
          truncations += trunc && !term ? 1 : 0;
          current[i] = Array.from(o);
          if ((term || trunc) && mode === 'same-step') {
            expect(Array.from((info.finalObservations as Float32Array).subarray(2 * i, 2 * i + 2))).toEqual(current[i]);
            current[i] = Array.from(singles[i].reset()[0]);
          } else if (term || trunc) needsReset[i] = true;
          expect(row).toEqual(current[i]);
        }
      }
      expect(terminations).toBeGreaterThan(2);
      expect(truncations).toBeGreaterThan(2);
    });
  }

  it('Pendulum copies are seeded seed + i and refuse non-finite actions; mixed action spaces are refused', () => {
    const vec = makeVec('Pendulum-v1', 3);
    const [obs] = vec.reset({ seed: 5 });
    for (let i = 0; i < 3; i++) expect(Array.from(obs.subarray(3 * i, 3 * i + 3))).toEqual(Array.from(make('Pendulum-v1').reset({ seed: 5 + i })[0]));
    expect(() => vec.step([0, Number.NaN, 0])).toThrow(InvalidArgumentError);
    expect(() => new VectorEnv([() => make('Pendulum-v1'), () => make('MountainCarContinuous-v0')])).toThrow(ShapeError);
    // Same observation length, different action spaces.
    expect(() => new VectorEnv<ActionSpace>([() => make('MountainCarContinuous-v0'), () => make('MountainCar-v0')])).toThrow(ShapeError);
  });
});
