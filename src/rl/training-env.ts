/**
 * The env a config trains on, and its generator's state: what exact resume needs to continue the
 * env's own random stream (resets draw from it).
 */
import { DISCRETE_ONLY_ALGORITHMS, requireDiscreteEnv } from '../envs/discrete-only.js';
import type { ClassicControlEnv, Env } from '../envs/env.js';
import { make, type MakeOptions } from '../envs/registry.js';
import type { ActionSpace } from '../envs/spaces.js';
import { Wrapper } from '../envs/wrappers/wrapper.js';
import { Rng, type RngState } from '../random/rng.js';
import type { DqnConfig } from './config.js';

/**
 * `make(id, options)` for the value-based algorithms (training, greedy evaluation, their GIFs):
 * an env with Box actions is refused (InvalidArgumentError naming it: continuousActionsProblem).
 */
export function makeDiscreteEnv(id: string, options: MakeOptions = {}): Env {
  return requireDiscreteEnv(make(id, options), DISCRETE_ONLY_ALGORITHMS);
}

/** The env a config trains on: registered time limit, episode statistics, then reward shaping. */
export function makeTrainingEnv(config: Pick<DqnConfig, 'env' | 'rewardShaping'>, renderMode: 'rgb_array' | null = null): Env {
  return makeDiscreteEnv(config.env, {
    recordEpisodeStatistics: true,
    renderMode,
    ...(config.rewardShaping !== 'none' ? { rewardShaping: config.rewardShaping as 'cartpole-position' } : {}),
  });
}

/** What holds an env's generator: a classic-control env, or a custom env's SeededResets wrapper. */
type GeneratorHolder = Pick<ClassicControlEnv<ActionSpace>, 'npRandom'>;

/** The env or wrapper in `env`'s chain that holds its generator (the first from the outside: a custom env's SeededResets, else the unwrapped env), or null. */
export function generatorHolder(env: Env<ActionSpace>): GeneratorHolder | null {
  for (let e: Env<ActionSpace> = env; e instanceof Wrapper; e = e.env) {
    if ('npRandom' in e) return e as GeneratorHolder;
  }
  const inner = env.unwrapped;
  return 'npRandom' in inner ? (inner as GeneratorHolder) : null;
}

function classicControl(env: Env<ActionSpace>): GeneratorHolder {
  const holder = generatorHolder(env);
  if (holder === null) throw new Error(`${env.toString()} does not expose its generator; exact resume is not possible`);
  return holder;
}

/** The env generator's state, or null before the env's first (seeding) reset. */
export function envRngState(env: Env<ActionSpace>): RngState | null {
  return classicControl(env).npRandom?.getState() ?? null;
}

/** Continues the env's stream from `state`: the next unseeded reset draws as the saved env's would. */
export function setEnvRngState(env: Env<ActionSpace>, state: RngState): void {
  classicControl(env).npRandom = Rng.fromState(state);
}
