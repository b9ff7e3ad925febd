/**
 * The one refusal of an env with continuous (Box) actions by an algorithm that takes Discrete
 * actions only (DQN, PQN): the message, and the guard that narrows an `Env<ActionSpace>` to
 * `Env<Discrete>`. The config rules, the trainers' env factory and the evaluators all refuse
 * through here, so they say the same thing.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Env } from './env.js';
import { Discrete, type ActionSpace } from './spaces.js';

/** The algorithms that take Discrete actions only (they act by the argmax of Q): who refuses where no one algorithm is meant. */
export const DISCRETE_ONLY_ALGORITHMS = 'DQN and PQN';

/**
 * Why `algorithm` cannot train on the env `envId` with action space `space`, or null when the
 * actions are Discrete. `algorithm` names who refuses ('DQN', 'PQN', 'DQN and PQN').
 */
export function continuousActionsProblem(envId: string, space: ActionSpace, algorithm: string): string | null {
  if (space instanceof Discrete) return null;
  return `${envId} has continuous actions (${space.toString()}), which ${algorithm} cannot take (it needs Discrete actions): train it with PPO (--algo ppo), which takes Box actions`;
}

/** `env` typed as the Discrete-action env it is; throws InvalidArgumentError (continuousActionsProblem) for a Box env. */
export function requireDiscreteEnv(env: Env<ActionSpace>, algorithm: string): Env<Discrete> {
  const problem = continuousActionsProblem(env.spec?.id ?? env.toString(), env.actionSpace, algorithm);
  if (problem !== null) {
    env.close();
    throw new InvalidArgumentError(problem);
  }
  return env as Env<Discrete>;
}
