/**
 * Custom environments (docs/custom-envs.md, "The env"): `adaptEnv(object)` turns a plain
 * Gymnasium-style object (its spaces plain or the engine's, observations number[] or typed
 * arrays) into an engine `Env`; an engine `Env` passes through unchanged. `EnvOutputGuard` stops
 * training at the first NaN or infinite observation or reward a custom env returns, naming the env
 * and the step. Browser-safe.
 */
import { InvalidArgumentError, errorMessage } from '../errors.js';
import { Env } from './env.js';
import { Box, Discrete, type ActionOf, type ActionSpace } from './spaces.js';
import type { Info, RenderMode, ResetOptions, ResetResult, RgbFrame, StepRecord, StepResult } from './types.js';
import { Wrapper } from './wrappers/wrapper.js';

/** A plain 1-D Box: `{ shape: [n], low, high }`, each bound a number (every element) or n numbers. */
export interface PlainBox {
  shape: readonly number[];
  low: number | ArrayLike<number>;
  high: number | ArrayLike<number>;
}

/** A plain Discrete: `{ n }` (actions 0..n-1), optionally `start`. */
export interface PlainDiscrete {
  n: number;
  start?: number;
}

/** An observation a plain env returns: float32 values, as a number array or any typed array. */
export type PlainObservation = ArrayLike<number>;

/** A plain Gymnasium-style env (docs/custom-envs.md, "The env"): nothing in it comes from the engine. */
export interface PlainEnv {
  observationSpace: Box | PlainBox;
  actionSpace: ActionSpace | PlainDiscrete | PlainBox;
  reset(options?: ResetOptions): [PlainObservation, Info?] | readonly unknown[];
  step(action: number | number[]): [PlainObservation, number, boolean, boolean, Info?] | readonly unknown[];
  /** `'rgb_array'` when the env renders frames; absent: what it was built with (adaptEnv's option) if it has `render`. */
  renderMode?: RenderMode | null;
  render?(): RgbFrame | null;
  close?(): void;
}

/** An env `adaptEnv` takes: an engine Env, or a plain one. */
export type CustomEnv = Env<ActionSpace> | PlainEnv;

/** A custom env returned something training cannot use (a NaN, a wrong length) or threw; the message names the env, the method, the field and (EnvOutputGuard) the step. */
export class EnvOutputError extends InvalidArgumentError {
  override name = 'EnvOutputError';
}

/**
 * `object` as an engine Env: an engine Env (an instance of this engine's `Env`) as it is; a plain
 * object (PlainEnv) wrapped so that `resetInto` / `stepInto` copy its observations into the
 * caller's float32 slot, while its `reset` / `step` return what the object returned (observations
 * converted to Float32Array when they are arrays of numbers), so `checkEnv` sees its defects.
 * `options.renderMode`: the mode the object was built with, used when it has no `renderMode` of its own.
 * Throws InvalidArgumentError naming the field when a space cannot be converted.
 */
export function adaptEnv(object: unknown, options: { renderMode?: RenderMode | null } = {}): Env<ActionSpace> {
  if (object instanceof Env) return object as Env<ActionSpace>;
  if (object === null || typeof object !== 'object') throw new InvalidArgumentError(`a custom env must be an object with observationSpace, actionSpace, reset and step, got ${describeValue(object)}`);
  const env = object as Partial<PlainEnv>;
  for (const method of ['reset', 'step'] as const) {
    if (typeof env[method] !== 'function') throw new InvalidArgumentError(`a custom env's ${method} must be a function (${method === 'reset' ? 'reset(options?) -> [observation, info]' : 'step(action) -> [observation, reward, terminated, truncated, info]'}), got ${describeValue(env[method])}`);
  }
  const observationSpace = toObservationSpace(env.observationSpace);
  const actionSpace = toActionSpace(env.actionSpace);
  const own = env.renderMode;
  const renderMode = own !== undefined ? own : typeof env.render === 'function' ? (options.renderMode ?? null) : null;
  return new AdaptedEnv(env as PlainEnv, observationSpace, actionSpace, renderMode);
}

/** `space` as the engine's Box (the only observation space): a Box as it is, or a PlainBox converted. */
export function toObservationSpace(space: unknown): Box {
  if (space instanceof Box) return space;
  return plainBox(space, 'observationSpace', '{ shape: [n], low, high } (a 1-D float32 Box)');
}

/** `space` as the engine's Discrete or Box: either as it is, `{ n }` as Discrete(n), `{ shape: [k], low, high }` as a Box. */
export function toActionSpace(space: unknown): ActionSpace {
  if (space instanceof Discrete || space instanceof Box) return space;
  const expected = '{ n } (Discrete) or { shape: [k], low, high } (a 1-D Box)';
  if (space !== null && typeof space === 'object' && 'n' in space) {
    const { n, start } = space as { n: unknown; start?: unknown };
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`actionSpace: n is ${describeValue(n)}, expected a positive integer (${expected})`);
    if (start !== undefined && (typeof start !== 'number' || !Number.isInteger(start))) throw new InvalidArgumentError(`actionSpace: start is ${describeValue(start)}, expected an integer or nothing`);
    return new Discrete(n, { start: start ?? 0 });
  }
  return plainBox(space, 'actionSpace', expected);
}

function plainBox(space: unknown, field: string, expected: string): Box {
  if (space === null || typeof space !== 'object') throw new InvalidArgumentError(`${field} is ${describeValue(space)}, expected ${expected}`);
  const { shape, low, high } = space as { shape?: unknown; low?: unknown; high?: unknown };
  if (!Array.isArray(shape) || shape.length !== 1 || typeof shape[0] !== 'number' || !Number.isInteger(shape[0]) || shape[0] < 1) {
    throw new InvalidArgumentError(`${field}.shape is ${describeShape(shape)}, expected [n] with n a positive integer (${expected})`);
  }
  const n = shape[0];
  const bound = (value: unknown, name: string): number[] => {
    if (typeof value === 'number' && !Number.isNaN(value)) return new Array<number>(n).fill(value);
    if (isArrayLike(value) && value.length === n && Array.from(value).every((v) => typeof v === 'number' && !Number.isNaN(v))) return Array.from(value as ArrayLike<number>);
    throw new InvalidArgumentError(`${field}.${name} is ${describeValue(value)}, expected a number or ${n} numbers (shape [${n}])`);
  };
  try {
    return new Box(bound(low, 'low'), bound(high, 'high'));
  } catch (error) {
    if (error instanceof InvalidArgumentError && !error.message.startsWith(field)) throw new InvalidArgumentError(`${field}: ${error.message}`);
    throw error;
  }
}

/** A plain env as an engine Env (see adaptEnv). */
class AdaptedEnv extends Env<ActionSpace> {
  constructor(
    /** The user's object. */
    readonly plain: PlainEnv,
    private readonly obsSpace: Box,
    private readonly actSpace: ActionSpace,
    private readonly mode: RenderMode | null,
  ) {
    super();
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): ActionSpace {
    return this.actSpace;
  }

  get renderMode(): RenderMode | null {
    return this.mode;
  }

  /** What the object's reset returned, its observation a Float32Array when it is an array of numbers (checkEnv reads the rest as it came). */
  override reset(options?: ResetOptions): ResetResult {
    const result: unknown = this.plain.reset(options);
    return withFloat32Observation(result, 2) as ResetResult;
  }

  /** What the object's step returned, as reset. */
  override step(action: ActionOf<ActionSpace>): StepResult {
    const result: unknown = this.plain.step(plainAction(action));
    return withFloat32Observation(result, 5) as StepResult;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const result: unknown = this.plain.reset(options);
    const where = 'reset()';
    if (!Array.isArray(result) || result.length !== 2) throw this.outputError(where, 'result', `is ${describeValue(result)}, expected [observation, info]`);
    this.copyObservation(result[0], obs, offset, where);
    return this.info(result[1], where);
  }

  stepInto(action: ActionOf<ActionSpace>, obs: Float32Array, offset: number, out: StepRecord): void {
    const result: unknown = this.plain.step(plainAction(action));
    const where = 'step()';
    if (!Array.isArray(result) || result.length !== 5) throw this.outputError(where, 'result', `is ${describeValue(result)}, expected [observation, reward, terminated, truncated, info]`);
    const [observation, reward, terminated, truncated, info] = result as unknown[];
    if (typeof reward !== 'number') throw this.outputError(where, 'reward', `is ${describeValue(reward)}, expected a number`);
    if (typeof terminated !== 'boolean') throw this.outputError(where, 'terminated', `is ${describeValue(terminated)}, expected a boolean`);
    if (typeof truncated !== 'boolean') throw this.outputError(where, 'truncated', `is ${describeValue(truncated)}, expected a boolean`);
    this.copyObservation(observation, obs, offset, where);
    out.reward = reward;
    out.terminated = terminated;
    out.truncated = truncated;
    out.info = this.info(info, where);
  }

  render(): RgbFrame | null {
    return typeof this.plain.render === 'function' ? (this.plain.render() ?? null) : null;
  }

  override close(): void {
    this.plain.close?.();
  }

  override toString(): string {
    const name = (this.plain as object).constructor?.name;
    const inner = this.spec ? this.spec.id : name !== undefined && name !== 'Object' ? name : 'plain env';
    return `<AdaptedEnv<${inner}>>`;
  }

  private copyObservation(observation: unknown, obs: Float32Array, offset: number, where: string): void {
    const dim = this.obsSpace.shape[0];
    if (!isArrayLike(observation)) throw this.outputError(where, 'observation', `is ${describeValue(observation)}, expected ${dim} numbers (a number[] or typed array)`);
    if (observation.length !== dim) throw this.outputError(where, 'observation', `has length ${observation.length}, observationSpace of shape (${dim},) expects ${dim}`);
    for (let i = 0; i < dim; i++) {
      const v: unknown = (observation as ArrayLike<unknown>)[i];
      if (typeof v !== 'number') throw this.outputError(where, 'observation', `[${i}] is ${describeValue(v)}, expected a number`);
      obs[offset + i] = v;
    }
  }

  private info(info: unknown, where: string): Info | undefined {
    if (info === undefined) return undefined;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) throw this.outputError(where, 'info', `is ${describeValue(info)}, expected a plain object`);
    return info as Info;
  }

  private outputError(where: string, field: string, what: string): EnvOutputError {
    const join = what.startsWith('[') ? '' : ' ';
    return new EnvOutputError(`${this.toString()} ${where}: ${field}${join}${what}`);
  }
}

/** An action as a plain env takes it: a Discrete index as it is, a Box action as a number[] (a fresh one: the env may keep it). */
function plainAction(action: number | ArrayLike<number>): number | number[] {
  return typeof action === 'number' ? action : Array.from(action);
}

/** `result` with its observation (element 0) as a Float32Array when it is an array-like of numbers of any length; anything else as it came. */
function withFloat32Observation(result: unknown, length: number): unknown {
  if (!Array.isArray(result) || result.length !== length) return result;
  const observation: unknown = result[0];
  if (!isArrayLike(observation) || !Array.from(observation as ArrayLike<unknown>).every((v) => typeof v === 'number')) return result;
  return [Float32Array.from(observation as ArrayLike<number>), ...result.slice(1)];
}

/**
 * Stops training at the first observation or reward that is NaN or infinite (which would poison
 * the network, and which `checkEnv` cannot see when it first shows after thousands of steps), and
 * names the env and the step in what the env throws: throws EnvOutputError naming the env, the
 * method, the field, and the env's step (counted over its life, and within the episode). `make`
 * puts it around every env registered with an `entryPoint` (loaded modules included).
 */
export class EnvOutputGuard<S extends ActionSpace = ActionSpace> extends Wrapper<S> {
  /** Steps since the env was built. */
  steps = 0;
  /** Steps since the last reset. */
  episodeSteps = 0;
  /** Resets so far. */
  resets = 0;

  override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const where = `reset() (reset ${this.resets + 1}, after ${this.steps} steps)`;
    let info: Info | undefined;
    try {
      info = this.env.resetInto(obs, offset, options);
    } catch (error) {
      throw this.threw(where, error);
    }
    this.resets++;
    this.episodeSteps = 0;
    this.checkSlot(obs, offset, where);
    return info;
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    const where = `step() (step ${this.steps + 1} of the env, ${this.episodeSteps + 1} of its episode ${this.resets})`;
    try {
      this.env.stepInto(action, obs, offset, out);
    } catch (error) {
      throw this.threw(where, error);
    }
    this.steps++;
    this.episodeSteps++;
    this.checkSlot(obs, offset, where);
    if (!Number.isFinite(out.reward)) throw this.nonFinite(where, `reward is ${out.reward}`);
  }

  private checkSlot(obs: Float32Array, offset: number, where: string): void {
    const dim = this.observationSpace.shape[0];
    for (let i = 0; i < dim; i++) {
      const v = obs[offset + i];
      if (!Number.isFinite(v)) throw this.nonFinite(where, `observation[${i}] is ${v}`);
    }
  }

  private get id(): string {
    return this.spec?.id ?? this.env.toString();
  }

  private nonFinite(where: string, what: string): EnvOutputError {
    return new EnvOutputError(`env '${this.id}' ${where}: ${what}, expected a finite number (a NaN or infinite value would poison the network, so training stops here)`);
  }

  private threw(where: string, error: unknown): EnvOutputError {
    return new EnvOutputError(`env '${this.id}' ${where} threw: ${errorMessage(error)}`);
  }
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function describeShape(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.map((v) => describeValue(v)).join(', ')}]` : describeValue(shape);
}

/** A value's kind for a message: `a Float64Array`, `an Array of length 3`, `'1'`, `null`, `undefined` (checkEnv's and adaptEnv's one wording). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return `a function ${v.name || '(anonymous)'}`;
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name ?? 'Object';
    // 'an Array', 'an Object', but 'a Uint8Array' (a U said 'you').
    return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  return `a ${typeof v}`;
}

/** Builds an env from an entry point: a class (`new EntryPoint(options)`) or a factory (`entryPoint(options)`); `what` names it in errors. */
export function buildFromEntryPoint(entryPoint: unknown, options: Record<string, unknown>, what: string): unknown {
  if (typeof entryPoint !== 'function') throw new InvalidArgumentError(`${what} is ${describeValue(entryPoint)}, expected a class or a factory function (options) => env`);
  let built: unknown;
  try {
    built = isClass(entryPoint) ? new (entryPoint as new (o: Record<string, unknown>) => unknown)(options) : (entryPoint as (o: Record<string, unknown>) => unknown)(options);
  } catch (error) {
    throw new InvalidArgumentError(`${what} threw while building the env: ${errorMessage(error)}`);
  }
  if (built === null || typeof built !== 'object') throw new InvalidArgumentError(`${what} returned ${describeValue(built)}, expected an env object`);
  return built;
}

/** Whether `f` is an ES class (which must be called with `new`). */
function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}
