/** A reward-shaping wrapper and the named shapings it knows. */
import { checkName } from '../../errors.js';
import type { Env } from '../env.js';
import type { ActionOf, ActionSpace, Discrete } from '../spaces.js';
import type { StepRecord } from '../types.js';
import { Wrapper } from './wrapper.js';

/**
 * A shaping: the new reward from the step's observation (a scratch copy: read it, don't keep it)
 * and the original reward.
 */
export type RewardShapingFn = (obs: Float32Array, reward: number) => number;

/** Named shapings usable from the CLI and `make(id, { rewardShaping: name })`. */
export const REWARD_SHAPINGS = {
  /** numpy-rl-engine's CartPole shaping `reward - |x|` (x = the cart position of the new obs), computed in float64. */
  'cartpole-position': ((obs, reward) => reward - Math.abs(obs[0])) as RewardShapingFn,
  /** The identity. */
  none: ((_obs, reward) => reward) as RewardShapingFn,
} as const;

/**
 * The envs each shaping is made for (a shaping reads observation entries by position, so on
 * another env it would shape with the wrong quantity), as a pattern of env ids.
 */
const SHAPING_ENVS: Record<keyof typeof REWARD_SHAPINGS, { ids: RegExp; describe: string }> = {
  'cartpole-position': { ids: /^CartPole/, describe: 'the CartPole envs (it reads the cart position, observation 0)' },
  none: { ids: /^/, describe: 'every env' },
};

/** Whether shaping `name` is made for env `envId` (unknown names: false). */
export function rewardShapingFits(name: string, envId: string): boolean {
  const entry = (SHAPING_ENVS as Record<string, { ids: RegExp } | undefined>)[name];
  return entry !== undefined && entry.ids.test(envId);
}

/** The envs shaping `name` is made for, in words. */
export function rewardShapingEnvs(name: string): string {
  return (SHAPING_ENVS as Record<string, { describe: string } | undefined>)[name]?.describe ?? 'no env';
}

/** Names of the built-in shapings. */
export type RewardShapingName = keyof typeof REWARD_SHAPINGS;

/** Looks a shaping up by name; an unknown name lists the valid ones (UnknownNameError). */
export function rewardShapingByName(name: string): RewardShapingFn {
  return REWARD_SHAPINGS[checkName('reward shaping', name, Object.keys(REWARD_SHAPINGS) as RewardShapingName[])];
}

/**
 * Replaces each step's reward by `shape(obs, reward)`, on every step (also after the end,
 * as numpy-rl-engine did). Termination and truncation are untouched. Episode statistics recorded
 * *outside* this wrapper see the shaped reward; inside it, the original one.
 */
export class RewardShaping<S extends ActionSpace = Discrete> extends Wrapper<S> {
  readonly shape: RewardShapingFn;
  private readonly obsCopy: Float32Array;

  constructor(env: Env<S>, shape: RewardShapingFn | RewardShapingName) {
    super(env);
    this.shape = typeof shape === 'string' ? rewardShapingByName(shape) : shape;
    this.obsCopy = new Float32Array(env.obsDim);
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
    const copy = this.obsCopy;
    for (let i = 0; i < copy.length; i++) copy[i] = obs[offset + i];
    out.reward = this.shape(copy, out.reward);
  }
}
