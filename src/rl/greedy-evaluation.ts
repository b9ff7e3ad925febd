/** Greedy episodes of a Q-function: the evaluation used during training, after it and by the CLI and page. */
import type { Env } from '../envs/env.js';
import { newStepRecord } from '../envs/types.js';
import { argmax } from './dqn-agent.js';
import { yieldIfDue } from './event-loop-yield.js';
import type { QNetwork } from './q-network.js';

/** What greedy play needs: Q(s, .) for one observation (a DqnAgent or a QNetwork). */
export type GreedyPolicy = Pick<QNetwork, 'qValues' | 'nActions'>;

/**
 * Greedy episodes of `policy` on `env` (which must carry its registered time limit). With a seed,
 * the first reset is seeded and later ones continue the stream. Returns the env's own returns.
 * `onStep` sees the env after every reset and step (to record frames, say).
 */
export async function evaluateGreedy(policy: GreedyPolicy, env: Env, episodes: number, seed?: number, onStep?: (env: Env) => void): Promise<number[]> {
  const obs = new Float32Array(env.obsDim);
  const rec = newStepRecord();
  const returns: number[] = [];
  for (let e = 0; e < episodes; e++) {
    env.resetInto(obs, 0, e === 0 && seed !== undefined ? { seed } : undefined);
    onStep?.(env);
    let total = 0;
    for (;;) {
      const action = argmax(await policy.qValues(obs), policy.nActions);
      rec.info = undefined;
      env.stepInto(action, obs, 0, rec);
      onStep?.(env);
      total += rec.reward;
      if (rec.terminated || rec.truncated) break;
      await yieldIfDue();
    }
    returns.push(total);
  }
  return returns;
}
