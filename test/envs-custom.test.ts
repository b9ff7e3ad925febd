/**
 * Custom envs (docs/custom-envs.md): adaptEnv of plain Gymnasium-style objects, checkEnv still
 * reporting each class of defect through the adapter, register({ entryPoint }) and make,
 * EnvOutputGuard, and loadEnvModule on real module files in a temp folder.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Box, CartPoleEnv, Discrete, EnvOutputError, adaptEnv, checkEnv, envSource, make, register, type EnvFinding } from '../src/envs/index.js';
import { loadEnvModule } from '../src/node.js';
import { UnknownNameError } from '../src/errors.js';

/** A plain walk on a line, as a user would write it (nothing from the engine): seeded, strict about actions and about stepping after the end. */
class PlainWalk {
  observationSpace = { shape: [2], low: -1, high: 1 };
  actionSpace: { n: number } | { shape: number[]; low: number; high: number } = { n: 2 };
  renderMode: string | null;
  protected state = 0;
  protected steps = 0;
  protected done = true;
  protected seed = 1;

  constructor(options: { renderMode?: string | null } = {}) {
    this.renderMode = options.renderMode ?? null;
  }

  /** A tiny deterministic generator (a user's own). */
  protected random(): number {
    this.seed = (this.seed * 16807) % 2147483647;
    return this.seed / 2147483647;
  }

  reset(options: { seed?: number } = {}): unknown {
    if (options.seed !== undefined) this.seed = options.seed + 1;
    this.state = this.random() * 0.1 - 0.05;
    this.steps = 0;
    this.done = false;
    return [[this.state, 0], {}];
  }

  protected validate(action: unknown): void {
    if (action !== 0 && action !== 1) throw new Error(`action ${String(action)} is not 0 or 1`);
  }

  step(action: unknown): unknown {
    if (this.done) throw new Error('call reset() before step()');
    this.validate(action);
    this.state += action === 1 ? 0.1 : -0.1;
    this.steps++;
    const terminated = Math.abs(this.state) > 0.5;
    this.done = terminated;
    return [[Math.max(-1, Math.min(1, this.state)), Math.min(1, this.steps / 100)], terminated ? 0 : 1, terminated, false, {}];
  }

  render(): unknown {
    return this.renderMode === 'rgb_array' ? { width: 2, height: 1, data: new Uint8ClampedArray(8).fill(255) } : null;
  }
}

const messages = (findings: EnvFinding[]) => findings.map((f) => `${f.level}: ${f.message}`);
const check = (object: object) => messages(checkEnv(adaptEnv(object)));

describe('adaptEnv', () => {
  it('a correct plain env (number[] observations, plain spaces) passes checkEnv, with and without rgb_array', () => {
    const env = adaptEnv(new PlainWalk());
    expect(env.observationSpace).toBeInstanceOf(Box);
    expect(env.actionSpace).toBeInstanceOf(Discrete);
    expect(checkEnv(env)).toEqual([]);
    expect(checkEnv(adaptEnv(new PlainWalk({ renderMode: 'rgb_array' })))).toEqual([]);
    const [obs] = env.reset({ seed: 3 });
    expect(obs).toBeInstanceOf(Float32Array);
  });

  it('resetInto / stepInto copy into the float32 slot; Float64Array observations are converted', () => {
    class Doubles extends PlainWalk {
      override reset(options?: { seed?: number }): unknown {
        const [obs, info] = super.reset(options) as [number[], object];
        return [Float64Array.from(obs), info];
      }
    }
    const env = adaptEnv(new Doubles());
    const buf = new Float32Array(4).fill(7);
    env.resetInto(buf, 1, { seed: 0 });
    expect(buf[0]).toBe(7);
    expect(buf[3]).toBe(7);
    expect(buf[2]).toBe(0);
    expect(Math.abs(buf[1])).toBeLessThanOrEqual(0.05);
    expect(checkEnv(env)).toEqual([]);
  });

  it('an engine Env passes through unchanged; engine spaces in a plain object are kept', () => {
    const cartpole = new CartPoleEnv();
    expect(adaptEnv(cartpole)).toBe(cartpole);
    const box = new Box([-1, -1], [1, 1]);
    const discrete = new Discrete(2);
    const plain = Object.assign(new PlainWalk(), { observationSpace: box, actionSpace: discrete });
    const env = adaptEnv(plain);
    expect(env.observationSpace).toBe(box);
    expect(env.actionSpace).toBe(discrete);
  });

  it('Box actions reach the plain env as number arrays', () => {
    const seen: unknown[] = [];
    class Continuous extends PlainWalk {
      override actionSpace = { shape: [1], low: -1, high: 1 };
      protected override validate(action: unknown): void {
        seen.push(action);
        if (!Array.isArray(action) || action.length !== 1) throw new Error('expected [force]');
      }
    }
    const env = adaptEnv(new Continuous());
    expect(env.actionSpace.toString()).toBe('Box(-1.0, 1.0, (1,), float32)');
    env.reset({ seed: 0 });
    env.step(Float32Array.of(0.5));
    expect(Array.isArray(seen[0])).toBe(true);
    expect(checkEnv(env)).toEqual([]);
  });

  it('spaces that cannot be converted throw naming the field and what was expected', () => {
    const walk = (patch: object) => Object.assign(new PlainWalk(), patch);
    expect(() => adaptEnv(walk({ observationSpace: { shape: [2, 2], low: 0, high: 1 } }))).toThrow(
      'observationSpace.shape is [2, 2], expected [n] with n a positive integer ({ shape: [n], low, high } (a 1-D float32 Box))',
    );
    expect(() => adaptEnv(walk({ observationSpace: { shape: [2], low: [0], high: 1 } }))).toThrow('observationSpace.low is an Array of length 1, expected a number or 2 numbers (shape [2])');
    expect(() => adaptEnv(walk({ observationSpace: { shape: [1], low: 1, high: 0 } }))).toThrow('observationSpace: Box low[0]=1 exceeds high[0]=0');
    expect(() => adaptEnv(walk({ actionSpace: { n: 0 } }))).toThrow('actionSpace: n is 0, expected a positive integer ({ n } (Discrete) or { shape: [k], low, high } (a 1-D Box))');
    expect(() => adaptEnv(walk({ actionSpace: 'left-right' }))).toThrow("actionSpace is 'left-right', expected { n } (Discrete) or { shape: [k], low, high } (a 1-D Box)");
    expect(() => adaptEnv(walk({ step: undefined }))).toThrow("a custom env's step must be a function (step(action) -> [observation, reward, terminated, truncated, info]), got undefined");
    expect(() => adaptEnv(42)).toThrow('a custom env must be an object with observationSpace, actionSpace, reset and step, got 42');
  });

  it('stepInto refuses what it cannot copy, naming the env, method and field', () => {
    class Short extends PlainWalk {
      override step(action: unknown): unknown {
        const [obs, ...rest] = super.step(action) as [number[], ...unknown[]];
        return [obs.slice(0, 1), ...rest];
      }
    }
    const env = adaptEnv(new Short());
    env.reset({ seed: 0 });
    expect(() => env.stepInto(1, new Float32Array(2), 0, { reward: 0, terminated: false, truncated: false, info: undefined })).toThrow(
      '<AdaptedEnv<Short>> step(): observation has length 1, observationSpace of shape (2,) expects 2',
    );
  });
});

describe('checkEnv through adaptEnv reports each class of defect of a plain env', () => {
  it('signatures and return shapes: a reset returning an object, a step of the old 4-tuple API', () => {
    class ObjectReset extends PlainWalk {
      override reset(options?: { seed?: number }): unknown {
        const [observation, info] = super.reset(options) as unknown[];
        return { observation, info };
      }
    }
    expect(check(new ObjectReset())).toEqual(['error: reset() returned an Object, expected [obs, info]']);
    class FourTuple extends PlainWalk {
      override step(action: unknown): unknown {
        const [obs, reward, terminated] = super.step(action) as unknown[];
        return [obs, reward, terminated, {}];
      }
    }
    expect(check(new FourTuple())).toEqual(['error: step() returned an Array of length 4, expected [obs, reward, terminated, truncated, info]']);
  });

  it('observation outside the space, of the wrong dtype, of the wrong shape, NaN', () => {
    class Outside extends PlainWalk {
      override reset(options?: { seed?: number }): unknown {
        const [obs, info] = super.reset(options) as [number[], object];
        return [[obs[0], 3], info];
      }
    }
    expect(check(new Outside())).toEqual(['error: reset(): observation[1] = 3 is above observationSpace high[1] = 1']);
    class Strings extends PlainWalk {
      override reset(options?: { seed?: number }): unknown {
        const [obs, info] = super.reset(options) as [number[], object];
        return [obs.map(String), info];
      }
    }
    expect(check(new Strings())).toEqual([`error: reset(): observation[0] is '${(new PlainWalk().reset({ seed: 0 }) as [number[]])[0][0]}', expected a number (observationSpace dtype float32)`]);
    class Long extends PlainWalk {
      override step(action: unknown): unknown {
        const [obs, ...rest] = super.step(action) as [number[], ...unknown[]];
        return [[...obs, 0], ...rest];
      }
    }
    expect(check(new Long())).toEqual(['error: step(): observation has length 3, observationSpace of shape (2,) expects 2']);
    class Nan extends PlainWalk {
      override step(action: unknown): unknown {
        const [obs, ...rest] = super.step(action) as [number[], ...unknown[]];
        return [[NaN, obs[1]], ...rest];
      }
    }
    expect(check(new Nan())).toEqual(['error: step(): observation[0] is NaN, expected a number in [-1, 1]']);
  });

  it('a reward that is not a number and a terminated flag that is not a boolean', () => {
    class Flags extends PlainWalk {
      override step(action: unknown): unknown {
        const [obs, reward, terminated, truncated, info] = super.step(action) as unknown[];
        return [obs, String(reward), terminated ? 1 : 0, truncated, info];
      }
    }
    // The copying primitives (what training calls) refuse it too.
    expect(check(new Flags())).toEqual([
      "error: step(): reward is '1', expected a finite number",
      'error: step(): terminated is 0, expected a boolean',
      "error: stepInto(1, obs, 1, out) of a sampled valid action threw: <AdaptedEnv<Flags>> step(): reward is '1', expected a number",
    ]);
  });

  it('seeding determinism: a plain env that ignores the seed and draws Math.random', () => {
    class Unseeded extends PlainWalk {
      protected override random(): number {
        return Math.random();
      }
    }
    const findings = checkEnv(adaptEnv(new Unseeded()));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ level: 'error', method: 'reset()', field: 'seeding' });
    expect(findings[0].message).toMatch(/^reset\(\{ seed: 0 \}\) twice gave different first observations at index 0 .*: seeding is not deterministic$/);
  });

  it('actions outside the space accepted', () => {
    class Lenient extends PlainWalk {
      protected override validate(): void {}
    }
    expect(check(new Lenient())).toEqual([
      'error: step(-1) was accepted: an action outside Discrete(2) must throw',
      'error: step(2) was accepted: an action outside Discrete(2) must throw',
      'error: step(0.5) was accepted: an action outside Discrete(2) must throw',
    ]);
  });

  it('stepping after terminated without a reset: a warning', () => {
    class Continues extends PlainWalk {
      override step(action: unknown): unknown {
        this.done = false;
        return super.step(action);
      }
    }
    const findings = checkEnv(adaptEnv(new Continues()));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ level: 'warning', method: 'step()', field: 'terminated' });
  });

  it('render modes: a mode the engine does not have, a bad frame, and the mode given to adaptEnv for an env without its own', () => {
    expect(check(new PlainWalk({ renderMode: 'human' }))).toEqual(["error: renderMode is 'human', expected null or 'rgb_array'"]);
    class BadFrame extends PlainWalk {
      override render(): unknown {
        return { width: 2, height: 1, data: new Uint8Array(8) };
      }
    }
    expect(check(new BadFrame({ renderMode: 'rgb_array' }))).toEqual(['error: render(): frame data is a Uint8Array, expected a Uint8ClampedArray of width * height * 4 = 8 bytes']);
    const modeless = Object.assign(new PlainWalk({ renderMode: 'rgb_array' }), { renderMode: undefined });
    expect(adaptEnv(modeless, { renderMode: 'rgb_array' }).renderMode).toBe('rgb_array');
    expect(adaptEnv(Object.assign(modeless, { render: undefined }), { renderMode: 'rgb_array' }).renderMode).toBe(null);
  });
});

describe('register({ entryPoint }) and make', () => {
  it('a class or a factory, of a plain object, with kwargs under the options; the TimeLimit applies', () => {
    register({ id: 'PlainWalk-class', entryPoint: PlainWalk, maxEpisodeSteps: 3, rewardThreshold: 2 });
    register({ id: 'PlainWalk-factory', entryPoint: (options: { renderMode?: string | null }) => new PlainWalk(options), kwargs: { renderMode: 'rgb_array' } });
    const env = make('PlainWalk-class');
    expect(env.spec).toEqual({ id: 'PlainWalk-class', maxEpisodeSteps: 3, rewardThreshold: 2 });
    env.reset({ seed: 0 });
    const ends = [env.step(1), env.step(1), env.step(1)].map(([, , , truncated]) => truncated);
    expect(ends).toEqual([false, false, true]);
    expect(make('PlainWalk-factory').renderMode).toBe('rgb_array');
    expect(make('PlainWalk-factory', { renderMode: null }).renderMode).toBe(null);
    expect(envSource('PlainWalk-class')).toBe(null);
    expect(checkEnv(make('PlainWalk-class')).filter((f) => f.level === 'error')).toEqual([]);
  });

  it("the entry point gets make's options over the kwargs, without the wrapper options make applies itself", () => {
    const seen: object[] = [];
    register({
      id: 'Options-v0',
      entryPoint: (options: object) => {
        seen.push(options);
        return new PlainWalk();
      },
      kwargs: { level: 3, size: 5 },
      maxEpisodeSteps: 10,
    });
    make('Options-v0', { renderMode: 'rgb_array', recordEpisodeStatistics: true, maxEpisodeSteps: 4, size: 7 } as object);
    expect(seen).toEqual([{ level: 3, size: 7, renderMode: 'rgb_array' }]);
  });

  it('an unknown id lists the registered ids; one that looks like a module says where to pass it', () => {
    expect(() => make('NoSuchEnv-v0')).toThrow(UnknownNameError);
    expect(() => make('NoSuchEnv-v0')).toThrow(/^unknown env id 'NoSuchEnv-v0'; valid: CartPole-v1, .*PlainWalk-class/);
    expect(() => make('./my-env.js')).toThrow("'./my-env.js' looks like a module: pass it to --env (the CLI) or to loadEnvModule('./my-env.js') (webgpu-rl-engine/node), which load and register it");
  });

  it('an entryPoint that returns nothing, or throws, is named', () => {
    register({ id: 'Nothing-v0', entryPoint: () => undefined as unknown as object });
    expect(() => make('Nothing-v0')).toThrow("the entryPoint of 'Nothing-v0' returned undefined, expected an env object");
    register({
      id: 'Throws-v0',
      entryPoint: () => {
        throw new Error('no level file');
      },
    });
    expect(() => make('Throws-v0')).toThrow("the entryPoint of 'Throws-v0' threw while building the env: no level file");
  });

  it('EnvOutputGuard: a NaN that shows only after many steps stops at that step, naming the env and the step', () => {
    class LateNan extends PlainWalk {
      private total = 0;
      override step(action: unknown): unknown {
        this.done = false;
        const [obs, ...rest] = super.step(action) as [number[], ...unknown[]];
        this.total++;
        return [this.total === 250 ? [obs[0], NaN] : obs, ...rest];
      }
    }
    register({ id: 'LateNan-v0', entryPoint: LateNan, maxEpisodeSteps: 100 });
    const env = make('LateNan-v0');
    let error: unknown = null;
    let steps = 0;
    try {
      env.reset({ seed: 0 });
      for (; steps < 1000; steps++) {
        const [, , terminated, truncated] = env.step(steps % 2);
        if (terminated || truncated) env.reset();
      }
    } catch (e) {
      error = e;
    }
    expect(steps).toBe(249);
    // What the env throws is named with the env and the step.
    expect(() => env.step(5)).toThrow(/^env 'LateNan-v0' step\(\) \(step 251 of the env, 51 of its episode 3\) threw: action 5 is not 0 or 1$/);
    expect(error).toBeInstanceOf(EnvOutputError);
    expect((error as Error).message).toBe(
      "env 'LateNan-v0' step() (step 250 of the env, 50 of its episode 3): observation[1] is NaN, expected a finite number (a NaN or infinite value would poison the network, so training stops here)",
    );
  });
});

describe('loadEnvModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'env-module-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const walkSource = `export default class Line {
  observationSpace = { shape: [1], low: -10, high: 10 };
  actionSpace = { n: 2 };
  reset(options = {}) { this.x = 0; return [[0], {}]; }
  step(action) { this.x += action === 1 ? 1 : -1; return [[this.x], 1, Math.abs(this.x) >= 3, false, {}]; }
}
`;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('registers a module by relative path (id from the file name), absolute path and file: URL; source is the absolute path', async () => {
    const path = write('line-env.js', walkSource);
    expect(await loadEnvModule('./line-env.js', { cwd: dir })).toEqual({ id: 'line-env', source: path });
    expect(envSource('line-env')).toBe(path);
    expect(await loadEnvModule(path)).toEqual({ id: 'line-env', source: path });
    expect(await loadEnvModule(pathToFileURL(path).href)).toEqual({ id: 'line-env', source: path });
    const env = make('line-env');
    expect(env.reset()[0]).toEqual(Float32Array.of(0));
  });

  it('reads id, maxEpisodeSteps and rewardThreshold; a factory default export works', async () => {
    write('factory.js', `${walkSource.replace('export default class', 'class')}export default (options) => new Line(options);\nexport const id = 'Line-v3';\nexport const maxEpisodeSteps = 7;\nexport const rewardThreshold = 2.5;\n`);
    expect((await loadEnvModule('./factory.js', { cwd: dir })).id).toBe('Line-v3');
    expect(make('Line-v3').spec).toEqual({ id: 'Line-v3', maxEpisodeSteps: 7, rewardThreshold: 2.5 });
  });

  it('resolves a package specifier from cwd (an import-only exports map); the source is the specifier', async () => {
    const pkg = join(dir, 'node_modules', 'my-line-env');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'my-line-env', type: 'module', exports: { '.': { import: './env.js' } } }));
    writeFileSync(join(pkg, 'env.js'), `${walkSource}export const id = 'PkgLine-v0';\n`);
    expect(await loadEnvModule('my-line-env', { cwd: dir })).toEqual({ id: 'PkgLine-v0', source: 'my-line-env' });
  });

  it('errors name the module: a missing file, a throw on import, no default export, a default that is no class or function, a taken id', async () => {
    await expect(loadEnvModule('./missing.js', { cwd: dir })).rejects.toThrow(`env module './missing.js': no such file '${join(dir, 'missing.js')}'`);
    write('throws.js', `throw new Error('cannot open level.txt');\n`);
    await expect(loadEnvModule('./throws.js', { cwd: dir })).rejects.toThrow("env module './throws.js' threw on import: cannot open level.txt");
    write('syntax.js', `export default class {\n`);
    await expect(loadEnvModule('./syntax.js', { cwd: dir })).rejects.toThrow(/^env module '\.\/syntax\.js' threw on import: /);
    write('nodefault.js', `export const id = 'x';\n`);
    await expect(loadEnvModule('./nodefault.js', { cwd: dir })).rejects.toThrow("env module './nodefault.js': has no default export; export default the env class, or a factory function (options) => env");
    write('number.js', `export default 42;\n`);
    await expect(loadEnvModule('./number.js', { cwd: dir })).rejects.toThrow("env module './number.js': its default export is 42, expected the env class or a factory function (options) => env");
    write('taken.js', `${walkSource}export const id = 'CartPole-v1';\n`);
    await expect(loadEnvModule('./taken.js', { cwd: dir })).rejects.toThrow("env module './taken.js': its id 'CartPole-v1' is already registered (a built-in env or one registered from code); export another id");
    await expect(loadEnvModule('no-such-package-xyz', { cwd: dir })).rejects.toThrow(/^env module 'no-such-package-xyz': cannot find it as a package from /);
  });
});
