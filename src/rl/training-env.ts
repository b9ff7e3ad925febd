/**
 * The env a config trains on, and its generator's state: what exact resume needs to continue the
 * env's own random stream (resets draw from it).
 */
import type { ClassicControlEnv, Env } from '../envs/env.js';
import { make } from '../envs/registry.js';
import { Rng, type RngState } from '../random/rng.js';
import type { DqnConfig } from './config.js';

/** The env a config trains on: registered time limit, episode statistics, then reward shaping. */
export function makeTrainingEnv(config: Pick<DqnConfig, 'env' | 'rewardShaping'>, renderMode: 'rgb_array' | null = null): Env {
  return make(config.env, {
    recordEpisodeStatistics: true,
    renderMode,
    ...(config.rewardShaping !== 'none' ? { rewardShaping: config.rewardShaping as 'cartpole-position' } : {}),
  });
}

function classicControl(env: Env): ClassicControlEnv {
  const inner = env.unwrapped as ClassicControlEnv;
  if (!('npRandom' in inner)) throw new Error(`${env.toString()} does not expose its generator; exact resume is not possible`);
  return inner;
}

/** The env generator's state, or null before the env's first (seeding) reset. */
export function envRngState(env: Env): RngState | null {
  return classicControl(env).npRandom?.getState() ?? null;
}

/** Continues the env's stream from `state`: the next unseeded reset draws as the saved env's would. */
export function setEnvRngState(env: Env, state: RngState): void {
  classicControl(env).npRandom = Rng.fromState(state);
}
