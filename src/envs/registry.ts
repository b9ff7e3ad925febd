/** The env registry and `make(id, options)`, as Gymnasium's `gymnasium.make`. */
import { InvalidArgumentError, UnknownNameError } from '../errors.js';
import { AcrobotEnv } from './acrobot.js';
import { CartPoleEnv } from './cartpole.js';
import { DISCRETE_ONLY_ALGORITHMS, continuousActionsProblem, requireDiscreteEnv } from './discrete-only.js';
import type { Env, EnvSpec } from './env.js';
import { MountainCarEnv } from './mountain-car.js';
import { MountainCarContinuousEnv } from './mountain-car-continuous.js';
import { PendulumEnv } from './pendulum.js';
import { EnvOutputGuard, adaptEnv, buildFromEntryPoint } from './custom-env.js';
import { actionDim, isBox, type ActionSpace, type Box, type Discrete } from './spaces.js';
import type { RenderMode } from './types.js';
import { RecordEpisodeStatistics } from './wrappers/record-episode-statistics.js';
import { RewardShaping, type RewardShapingFn, type RewardShapingName } from './wrappers/reward-shaping.js';
import { SeededResets } from './wrappers/seeded-resets.js';
import { TimeLimit } from './wrappers/time-limit.js';

/** Options of `make`. Env-specific keys are passed to the env's constructor. */
export interface MakeOptions {
  renderMode?: RenderMode | null;
  /** Overrides the registered time limit; `null` removes the TimeLimit wrapper. */
  maxEpisodeSteps?: number | null;
  /** Reward shaping by name (e.g. 'cartpole-position') or function; applied outermost. */
  rewardShaping?: RewardShapingName | RewardShapingFn;
  /** Wrap in RecordEpisodeStatistics (inside the shaping, so it records the env's own rewards). */
  recordEpisodeStatistics?: boolean;
  /** CartPole: start hanging down (see CartPoleEnv). */
  poleDown?: boolean;
  /** CartPole: Gymnasium's `sutton_barto_reward`. */
  suttonBartoReward?: boolean;
}

/**
 * The action space of each built-in id, so that `make('CartPole-v1')` is typed `Env<Discrete>`
 * and `make('Pendulum-v1')` `Env<Box>`; any other id (a string known only at run time, an env
 * registered later) makes an `Env<ActionSpace>`, to be narrowed (`requireDiscreteEnv`, `isBox`).
 * An entry replaced by `register` must keep its kind of action space.
 */
export interface BuiltinActionSpaces {
  'CartPole-v1': Discrete;
  'CartPole-v0': Discrete;
  'CartPolePoleDown-v1': Discrete;
  'Acrobot-v1': Discrete;
  'MountainCar-v0': Discrete;
  'Pendulum-v1': Box;
  'MountainCarContinuous-v0': Box;
}

/** The action space `make(id)` is typed with (see BuiltinActionSpaces). */
export type ActionSpaceOf<Id extends string> = Id extends keyof BuiltinActionSpaces ? BuiltinActionSpaces[Id] : ActionSpace;

/** A registry entry. */
export interface EnvRegistration extends EnvSpec {
  /** Builds the unwrapped env from the merged options (registered defaults, then the caller's). */
  create: (options: MakeOptions) => Env<ActionSpace>;
  /** Defaults merged under the caller's options (e.g. `{ poleDown: true }`). */
  defaults: MakeOptions;
  /** Where a custom env's module came from (loadEnvModule: an absolute path or a package specifier); null for an env registered from code. */
  source: string | null;
}

/**
 * What builds a custom env (Gymnasium's `entry_point`): a class, built with `new EntryPoint(options)`,
 * or a factory `(options) => env`; the env an engine `Env` or a plain object (adaptEnv). `options`
 * are `make`'s (with `renderMode`) over the registration's `kwargs`, without those make applies as
 * wrappers (maxEpisodeSteps, recordEpisodeStatistics, rewardShaping).
 */
export type EnvEntryPoint = (new (options: MakeOptions & Record<string, unknown>) => object) | ((options: MakeOptions & Record<string, unknown>) => object);

/** `register`'s argument: `create` (an engine Env from the options) or Gymnasium's `entryPoint` (a class or factory of any custom env). */
export type EnvRegistrationInput = {
  id: string;
  maxEpisodeSteps?: number | null;
  rewardThreshold?: number | null;
  /** Defaults merged under the caller's options (Gymnasium's `kwargs`; `kwargs` is the same). */
  defaults?: MakeOptions & Record<string, unknown>;
  kwargs?: Record<string, unknown>;
  /** Where the env's module came from, for the run records (loadEnvModule sets it). */
  source?: string | null;
} & ({ create: (options: MakeOptions) => Env<ActionSpace>; entryPoint?: undefined } | { entryPoint: EnvEntryPoint; create?: undefined });

const registry = new Map<string, EnvRegistration>();

/**
 * Adds (or replaces) a registry entry, as Gymnasium's `register`. With `entryPoint`, `make(id)`
 * builds the env from the class or factory, adapts a plain object (adaptEnv), seeds every reset
 * from a generator the engine checkpoints (SeededResets: exact resume) and guards it against NaN
 * and infinite outputs (EnvOutputGuard), under the TimeLimit of `maxEpisodeSteps`.
 */
export function register(entry: EnvRegistrationInput): void {
  const { id, entryPoint } = entry;
  if (typeof id !== 'string' || id.trim() === '') throw new InvalidArgumentError(`register: id must be a non-empty string, got ${JSON.stringify(id)}`);
  let create: (options: MakeOptions) => Env<ActionSpace>;
  if (entryPoint !== undefined) {
    if (typeof entryPoint !== 'function') throw new InvalidArgumentError(`register '${id}': entryPoint must be a class or a factory function (options) => env, got ${typeof entryPoint}`);
    create = (options) => new EnvOutputGuard(new SeededResets(adaptEnv(buildFromEntryPoint(entryPoint, entryPointOptions(options), `the entryPoint of '${id}'`), { renderMode: options.renderMode })));
  } else if (typeof entry.create === 'function') {
    create = entry.create;
  } else {
    throw new InvalidArgumentError(`register '${id}': give entryPoint (a class or factory of the env) or create`);
  }
  registry.set(id, {
    id,
    create,
    maxEpisodeSteps: entry.maxEpisodeSteps ?? null,
    rewardThreshold: entry.rewardThreshold ?? null,
    defaults: { ...(entry.kwargs ?? {}), ...(entry.defaults ?? {}) },
    source: entry.source ?? null,
  });
}

/** `make`'s options without those `make` applies itself as wrappers (time limit, statistics, shaping): what an entry point is built with. */
function entryPointOptions(options: MakeOptions): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...options };
  for (const key of ['maxEpisodeSteps', 'recordEpisodeStatistics', 'rewardShaping']) delete rest[key];
  return rest;
}

/** Where the registered env `id` came from (its module: an absolute path or a package specifier), or null (built in, or registered from code); an unknown id throws as `make` does. */
export function envSource(id: string): string | null {
  return lookup(id).source;
}

/** Whether `id` is registered. */
export function isRegisteredEnv(id: string): boolean {
  return registry.has(id);
}

/** Whether an env name looks like a module (a path, a file: URL, a .js file) rather than a registered id. */
export function looksLikeEnvModule(name: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|file:|[A-Za-z]:[\\/])/.test(name) || /\.(m|c)?[jt]s$/.test(name);
}

/** The registered ids, in registration order. */
export function registeredEnvIds(): string[] {
  return [...registry.keys()];
}

/** The spec of a registered id; an unknown id lists the registered ones (UnknownNameError). */
export function envSpec(id: string): EnvSpec {
  const entry = lookup(id);
  return { id: entry.id, maxEpisodeSteps: entry.maxEpisodeSteps, rewardThreshold: entry.rewardThreshold };
}

/** The sizes a Discrete-action algorithm needs of a registered env, and its time limit. */
export interface EnvDims {
  /** Length of an observation. */
  obsDim: number;
  /** Number of discrete actions. */
  nActions: number;
  /** The registered time limit, or null. */
  maxEpisodeSteps: number | null;
}

/** The sizes of a registered env with either kind of action space (PPO's): EnvDims, `nActions` a Box's length, and the Box. */
export interface EnvSizes extends EnvDims {
  /** Box actions: the space (its bounds); Discrete: null. */
  box: Box | null;
}

/** The sizes of the env `id` makes (one is made and closed to read them), Discrete or Box; an unknown id throws as `make` does. */
export function envSizes(id: string): EnvSizes {
  const env = make(id);
  const space = env.actionSpace;
  const sizes = { obsDim: env.obsDim, nActions: isBox(space) ? actionDim(space) : space.n, maxEpisodeSteps: envSpec(id).maxEpisodeSteps, box: isBox(space) ? space : null };
  env.close();
  return sizes;
}

/**
 * The sizes of the env `id` makes, for the Discrete-action algorithms (DQN, PQN); an unknown id
 * throws as `make` does, an env with Box actions throws InvalidArgumentError (continuousActionsProblem).
 */
export function envDims(id: string): EnvDims {
  const env = requireDiscreteEnv(make(id), DISCRETE_ONLY_ALGORITHMS);
  const dims = { obsDim: env.obsDim, nActions: env.actionSpace.n, maxEpisodeSteps: envSpec(id).maxEpisodeSteps };
  env.close();
  return dims;
}

/** Why `algorithm` (which takes Discrete actions) cannot train on the registered env `id`, or null (continuousActionsProblem). */
export function discreteActionsProblem(id: string, algorithm: string): string | null {
  return continuousActionsProblem(id, envActionSpace(id), algorithm);
}

/** The action space of the env `id` makes (one is made and closed to read it); an unknown id throws as `make` does. */
export function envActionSpace(id: string): ActionSpace {
  const env = make(id);
  const space = env.actionSpace;
  env.close();
  return space;
}

function lookup(id: string): EnvRegistration {
  const entry = registry.get(id);
  if (!entry) {
    const hint = looksLikeEnvModule(id) ? `'${id}' looks like a module: pass it to --env (the CLI) or to loadEnvModule('${id}') (webgpu-rl-engine/node), which load and register it` : undefined;
    throw new UnknownNameError('env id', id, registeredEnvIds(), hint);
  }
  return entry;
}

/**
 * Builds a registered env: the env, then TimeLimit (the registered limit unless
 * `maxEpisodeSteps` overrides it), then RecordEpisodeStatistics and RewardShaping when asked for.
 * Like Gymnasium's make, the env's own `step` throws before the first `reset` (OrderEnforcing).
 */
export function make<Id extends string>(id: Id, options: MakeOptions = {}): Env<ActionSpaceOf<Id>> {
  const entry = lookup(id);
  const merged: MakeOptions = { ...entry.defaults, ...options };
  let env: Env<ActionSpace> = entry.create(merged);
  const maxSteps = merged.maxEpisodeSteps === undefined ? entry.maxEpisodeSteps : merged.maxEpisodeSteps;
  const spec: EnvSpec = { id, maxEpisodeSteps: maxSteps, rewardThreshold: entry.rewardThreshold };
  env.spec = spec;
  if (maxSteps !== null) {
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new InvalidArgumentError(`maxEpisodeSteps must be a positive integer or null, got ${maxSteps}`);
    env = new TimeLimit(env, maxSteps);
  }
  if (merged.recordEpisodeStatistics) env = new RecordEpisodeStatistics(env);
  if (merged.rewardShaping !== undefined) env = new RewardShaping(env, merged.rewardShaping);
  // The registry's one unchecked step: a built-in id's entry builds the kind BuiltinActionSpaces names.
  return env as Env<ActionSpaceOf<Id>>;
}

register({
  id: 'CartPole-v1',
  create: (o) => new CartPoleEnv(o),
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
});
register({
  id: 'CartPole-v0',
  create: (o) => new CartPoleEnv(o),
  maxEpisodeSteps: 200,
  rewardThreshold: 195,
});
register({
  id: 'CartPolePoleDown-v1',
  create: (o) => new CartPoleEnv(o),
  maxEpisodeSteps: 500,
  defaults: { poleDown: true },
});
register({
  id: 'Acrobot-v1',
  create: (o) => new AcrobotEnv(o),
  maxEpisodeSteps: 500,
  rewardThreshold: -100,
});
register({
  id: 'MountainCar-v0',
  create: (o) => new MountainCarEnv(o),
  maxEpisodeSteps: 200,
  rewardThreshold: -110,
});
register({
  id: 'Pendulum-v1',
  create: (o) => new PendulumEnv(o),
  maxEpisodeSteps: 200,
});
register({
  id: 'MountainCarContinuous-v0',
  create: (o) => new MountainCarContinuousEnv(o),
  maxEpisodeSteps: 999,
  rewardThreshold: 90.0,
});
