/** checkEnv: the built-in envs pass it, and each class of defect in a small custom env is reported with its exact text. */
import { describe, expect, it } from 'vitest';
import {
  Box,
  Discrete,
  Env,
  ResetNeededError,
  actionProblem,
  assertEnvValid,
  checkEnv,
  make,
  type ActionOf,
  type ActionSpace,
  type EnvFinding,
  type Info,
  type RenderMode,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepRecord,
  type StepResult,
} from '../src/envs/index.js';
import { InvalidArgumentError } from '../src/errors.js';
import { Rng } from '../src/random/index.js';

/**
 * A correct little env: a walk on a line. obs = [position, steps / 100], position starting in
 * [-0.05, 0.05] from the seed and moved 0.1 left or right; terminated past |position| > 0.5.
 * It refuses invalid actions and any step after terminated, so checkEnv finds nothing.
 */
class Walk<S extends ActionSpace = Discrete> extends Env<S> {
  protected rng = new Rng(0);
  protected position = 0;
  protected steps = 0;
  protected done = true;
  private readonly obsSpace = new Box([-1, -1], [1, 1]);

  constructor(
    private readonly actSpace: S,
    private readonly mode: RenderMode | null = null,
  ) {
    super();
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): S {
    return this.actSpace;
  }

  get renderMode(): RenderMode | null {
    return this.mode;
  }

  protected startPosition(): number {
    return this.rng.uniform(-0.05, 0.05);
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    if (options?.seed !== undefined) this.rng = new Rng(options.seed);
    this.position = this.startPosition();
    this.steps = 0;
    this.done = false;
    obs[offset] = this.position;
    obs[offset + 1] = 0;
    return undefined;
  }

  protected validate(action: ActionOf<S>): void {
    const problem = actionProblem(this.actionSpace, action);
    if (problem !== null) throw new InvalidArgumentError(problem);
  }

  stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    if (this.done) throw new ResetNeededError('Walk: call reset() before step()');
    this.validate(action);
    const push = typeof action === 'number' ? (action === 1 ? 1 : -1) : Math.max(-1, Math.min(1, (action as ArrayLike<number>)[0]));
    this.position += 0.1 * push;
    this.steps += 1;
    const terminated = Math.abs(this.position) > 0.5;
    this.done = terminated;
    obs[offset] = Math.max(-1, Math.min(1, this.position));
    obs[offset + 1] = Math.min(1, this.steps / 100);
    out.reward = terminated ? 0 : 1;
    out.terminated = terminated;
    out.truncated = false;
    out.info = undefined;
  }

  render(): RgbFrame | null {
    if (this.mode === null) return null;
    return { width: 2, height: 2, data: new Uint8ClampedArray(16).fill(255) };
  }
}

const walk = (mode: RenderMode | null = null) => new Walk(new Discrete(2), mode);
const messages = (findings: EnvFinding[]) => findings.map((f) => `${f.level}: ${f.message}`);

describe('checkEnv on the built-in envs', () => {
  const ids = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0', 'Pendulum-v1', 'MountainCarContinuous-v0'];
  for (const id of ids) {
    for (const renderMode of [null, 'rgb_array'] as const) {
      it(`${id} (renderMode ${String(renderMode)}) has no errors`, () => {
        const env = make(id, { renderMode });
        const findings = checkEnv(env);
        expect(findings.filter((f) => f.level === 'error')).toEqual([]);
        // Gymnasium's classic-control envs take a step after terminated (warning only); nothing else is flagged.
        for (const f of findings) expect(f.message).toMatch(/^step\(.*\) after terminated = true \(step \d+\), without reset\(\), was accepted/);
        expect(() => assertEnvValid(env)).not.toThrow();
      });
    }
  }

  it('CartPole-v1 takes a step after terminated: a warning naming the method and field', () => {
    const [f] = checkEnv(make('CartPole-v1'));
    expect(f).toMatchObject({ level: 'warning', method: 'step()', field: 'terminated' });
  });
});

describe('checkEnv on a correct custom env', () => {
  it('finds nothing, with Discrete or Box actions, with or without rgb_array', () => {
    expect(checkEnv(walk())).toEqual([]);
    expect(checkEnv(walk('rgb_array'))).toEqual([]);
    expect(checkEnv(new Walk(new Box([-1], [1])))).toEqual([]);
    expect(assertEnvValid(walk())).toEqual([]);
  });
});

describe('checkEnv reports each class of defect', () => {
  it('an observation of the wrong length', () => {
    class Short extends Walk {
      override step(action: number): StepResult {
        const [obs, ...rest] = super.step(action);
        return [Float32Array.from([obs[0], obs[1], 0]), ...rest];
      }
    }
    const findings = checkEnv(new Short(new Discrete(2)));
    expect(messages(findings)).toEqual(['error: step(): observation has length 3, observationSpace of shape (2,) expects 2']);
    expect(findings[0]).toMatchObject({ method: 'step()', field: 'observation' });
  });

  it('a NaN that shows only later in an episode: the step it showed at', () => {
    class LateNan extends Walk {
      override stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
        super.stepInto(action, obs, offset, out);
        if (this.steps === 4) obs[offset + 1] = NaN;
      }
    }
    const findings = checkEnv(new LateNan(new Discrete(2)));
    expect(messages(findings)).toEqual(['error: step(): observation[1] is NaN, expected a number in [-1, 1] (at step 4 of the episodes run after reset({ seed: 0 }))']);
    expect(findings[0]).toMatchObject({ method: 'step()', field: 'observation' });
  });

  it('a float64 observation', () => {
    class Doubles extends Walk {
      override reset(options?: ResetOptions): ResetResult {
        const [obs, info] = super.reset(options);
        return [Float64Array.from(obs) as unknown as Float32Array, info];
      }
    }
    expect(messages(checkEnv(new Doubles(new Discrete(2))))).toEqual(['error: reset(): observation is a Float64Array, expected a Float32Array (observationSpace dtype float32)']);
  });

  it('an observation outside the space: the first index and the bound', () => {
    class Outside extends Walk {
      override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
        super.resetInto(obs, offset, options);
        obs[offset + 1] = 2;
        return undefined;
      }
    }
    expect(messages(checkEnv(new Outside(new Discrete(2))))).toEqual(['error: reset(): observation[1] = 2 is above observationSpace high[1] = 1']);
  });

  it('a NaN reward', () => {
    class NanReward extends Walk {
      override stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
        super.stepInto(action, obs, offset, out);
        out.reward = NaN;
      }
    }
    const findings = checkEnv(new NanReward(new Discrete(2)));
    expect(messages(findings)).toEqual(['error: step(): reward is NaN, expected a finite number']);
    expect(findings[0]).toMatchObject({ method: 'step()', field: 'reward' });
  });

  it('a terminated flag that is not a boolean', () => {
    class NumericFlag extends Walk {
      override step(action: number): StepResult {
        const [obs, reward, terminated, truncated, info] = super.step(action);
        return [obs, reward, (terminated ? 1 : 0) as unknown as boolean, truncated, info];
      }
    }
    expect(messages(checkEnv(new NumericFlag(new Discrete(2))))).toEqual(['error: step(): terminated is 0, expected a boolean']);
  });

  it('an info that is not an object', () => {
    class NullInfo extends Walk {
      override reset(options?: ResetOptions): ResetResult {
        return [super.reset(options)[0], null as unknown as Info];
      }
    }
    expect(messages(checkEnv(new NullInfo(new Discrete(2))))).toEqual(['error: reset(): info is null, expected a plain object']);
  });

  it('nondeterministic seeding (Math.random)', () => {
    class Unseeded extends Walk {
      protected override startPosition(): number {
        return Math.random() * 0.1 - 0.05;
      }
    }
    const findings = checkEnv(new Unseeded(new Discrete(2)));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ level: 'error', method: 'reset()', field: 'seeding' });
    expect(findings[0].message).toMatch(/^reset\(\{ seed: 0 \}\) twice gave different first observations at index 0 \(-?0\.\d+(e-\d+)? vs -?0\.\d+(e-\d+)?\): seeding is not deterministic$/);
  });

  it('nondeterministic steps after the same seed', () => {
    class NoisySteps extends Walk {
      override stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
        super.stepInto(action, obs, offset, out);
        if (this.steps === 3) out.reward = Math.random() + 2;
      }
    }
    const [f, ...rest] = checkEnv(new NoisySteps(new Discrete(2)));
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/^step 3 \(action [01]\) after reset\(\{ seed: 0 \}\) gave different rewards \(2\.\d+ vs 2\.\d+\) on two runs with the same actions: stepping is not deterministic$/);
  });

  it('a seed that is ignored: a warning', () => {
    class Fixed extends Walk {
      protected override startPosition(): number {
        return 0.01;
      }
    }
    const findings = checkEnv(new Fixed(new Discrete(2)));
    expect(messages(findings)).toEqual(['warning: reset({ seed: 1 }) gave the same first observation as reset({ seed: 0 }): the seed may be ignored']);
  });

  it('invalid Discrete actions accepted', () => {
    class Lenient extends Walk {
      protected override validate(): void {}
    }
    expect(messages(checkEnv(new Lenient(new Discrete(2))))).toEqual([
      'error: step(-1) was accepted: an action outside Discrete(2) must throw',
      'error: step(2) was accepted: an action outside Discrete(2) must throw',
      'error: step(0.5) was accepted: an action outside Discrete(2) must throw',
    ]);
  });

  it('Box actions of the wrong length accepted', () => {
    class Lenient extends Walk<Box> {
      protected override validate(): void {}
    }
    expect(messages(checkEnv(new Lenient(new Box([-1], [1]))))).toEqual([
      'error: step([0, 0]) was accepted: Box(-1.0, 1.0, (1,), float32) takes an array of 1 number and must throw for 2',
      'error: step([]) was accepted: Box(-1.0, 1.0, (1,), float32) takes an array of 1 number and must throw for 0',
    ]);
  });

  it('a step after terminated taken without a reset: a warning', () => {
    class Continues extends Walk {
      override stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
        this.done = false;
        super.stepInto(action, obs, offset, out);
      }
    }
    const findings = checkEnv(new Continues(new Discrete(2)));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ level: 'warning', method: 'step()', field: 'terminated' });
    expect(findings[0].message).toMatch(/^step\([01]\) after terminated = true \(step \d+\), without reset\(\), was accepted: its outputs are undefined/);
  });

  it('stepInto writing outside its slot of a shared buffer (what the vector env passes)', () => {
    class Spills extends Walk {
      override stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
        super.stepInto(action, obs, offset, out);
        obs[offset + 2] = 0;
      }
    }
    const findings = checkEnv(new Spills(new Discrete(2)));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ level: 'error', method: 'stepInto()', field: 'observation' });
    expect(findings[0].message).toMatch(/^stepInto\([01], obs, 1, out\) wrote obs\[3\], outside its slot obs\[1\.\.3\): a vector env's neighbouring observation would be overwritten$/);
  });

  it('a bad render frame, and a render mode the engine does not have', () => {
    class BadFrame extends Walk {
      override render(): RgbFrame | null {
        return { width: 2, height: 2, data: new Uint8ClampedArray(12) };
      }
    }
    expect(messages(checkEnv(new BadFrame(new Discrete(2), 'rgb_array')))).toEqual(['error: render(): frame data has 12 bytes, a 2x2 RGBA frame expects 16']);
    class NoFrame extends Walk {
      override render(): RgbFrame | null {
        return null;
      }
    }
    expect(messages(checkEnv(new NoFrame(new Discrete(2), 'rgb_array')))).toEqual([
      "error: render() with renderMode 'rgb_array' returned null, expected an RgbFrame { width, height, data }",
    ]);
    expect(messages(checkEnv(new Walk(new Discrete(2), 'human' as RenderMode)))).toEqual(["error: renderMode is 'human', expected null or 'rgb_array'"]);
  });

  it('spaces the engine does not support stop the checks there', () => {
    class NotABox extends Walk {
      override get observationSpace(): Box {
        return new Discrete(3) as unknown as Box;
      }
    }
    expect(messages(checkEnv(new NotABox(new Discrete(2))))).toEqual(['error: observationSpace is a Discrete, expected a Box (the only observation space this engine supports)']);
    expect(messages(checkEnv(new Walk(new Box([-Infinity], [Infinity]))))).toEqual([
      'warning: actionSpace Box(-inf, inf, (1,), float32) has infinite bounds: sampled actions and a policy\'s action range are unbounded',
    ]);
  });

  it('an env whose reset throws: the error, not a crash', () => {
    class Throws extends Walk {
      override resetInto(): Info | undefined {
        throw new Error('no state');
      }
    }
    expect(messages(checkEnv(new Throws(new Discrete(2))))).toEqual(['error: reset({ seed: 0 }) threw: no state']);
  });

  it('assertEnvValid throws an InvalidArgumentError listing the errors', () => {
    class Lenient extends Walk {
      protected override validate(): void {}
    }
    const env = new Lenient(new Discrete(2));
    expect(() => assertEnvValid(env)).toThrow(InvalidArgumentError);
    expect(() => assertEnvValid(env)).toThrow(
      '<Lenient> fails checkEnv with 3 errors:\n  - step(-1) was accepted: an action outside Discrete(2) must throw\n  - step(2) was accepted: an action outside Discrete(2) must throw\n  - step(0.5) was accepted: an action outside Discrete(2) must throw',
    );
  });
});
