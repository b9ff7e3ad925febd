/**
 * Greedy episodes of a policy: the evaluation used during training, after it and by the CLI and
 * the page. A policy gives one output row per observation: Q-values or logits, played by their
 * argmax (Discrete actions), or with `actionBounds` the action itself (a Gaussian policy's mean),
 * clipped to the action space's bounds as Stable-Baselines3 plays a Box policy.
 *
 * `evaluateGreedy` plays episodes one after another on one env: the first reset seeded (when a seed
 * is given), later resets continuing the env's stream. `GreedyEvaluator` plays the very same
 * episodes side by side, on copies of the env each reset exactly as the sequential episode would
 * have been, with one forward pass (and one read back) per step for all of them: the same returns
 * for a fraction of the read backs, which decide the speed on a GPU.
 */
import type { Env } from '../envs/env.js';
import type { ActionSpace, Box } from '../envs/spaces.js';
import { newStepRecord } from '../envs/types.js';
import { argmaxRow } from './dqn-agent.js';
import { yieldIfDue } from './event-loop-yield.js';
import type { QNetwork } from './q-network.js';
import { envRngState, generatorHolder, setEnvRngState } from './training-env.js';

/**
 * What greedy play needs: the output rows (`nActions` values each) for one observation or a batch
 * of them (a DqnAgent's online network, a QNetwork, a PPO actor), and for a Box policy its bounds.
 */
export type GreedyPolicy = Pick<QNetwork, 'qValues' | 'qValuesBatch' | 'nActions'> & {
  /** Box actions: row i is the action, clipped to these bounds; absent or null: the argmax of row i. */
  readonly actionBounds?: Box | null;
};

/** The greedy action of row `row` of `out`: its argmax, or with bounds the row clipped into `scratch`. */
function greedyAction(policy: GreedyPolicy, out: Float32Array, row: number, scratch: Float32Array): number | Float32Array {
  const n = policy.nActions;
  const bounds = policy.actionBounds;
  if (bounds === undefined || bounds === null) return argmaxRow(out, row * n, n);
  bounds.clipInto(out, row * n, scratch, 0);
  return scratch;
}

/**
 * Greedy episodes of `policy` on `env` (which must carry its registered time limit), one after
 * another. With a seed, the first reset is seeded and later ones continue the stream. Returns the
 * env's own returns. `onStep` sees the env after every reset and step (to record frames, say).
 */
export async function evaluateGreedy(policy: GreedyPolicy, env: Env<ActionSpace>, episodes: number, seed?: number, onStep?: (env: Env<ActionSpace>) => void): Promise<number[]> {
  const obs = new Float32Array(env.obsDim);
  const rec = newStepRecord();
  const scratch = new Float32Array(policy.nActions);
  const returns: number[] = [];
  for (let e = 0; e < episodes; e++) {
    env.resetInto(obs, 0, e === 0 && seed !== undefined ? { seed } : undefined);
    onStep?.(env);
    let total = 0;
    for (;;) {
      const action = greedyAction(policy, await policy.qValues(obs), 0, scratch);
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

/**
 * Plays the episodes evaluateGreedy would play on a stream env, side by side. Keeps its copies of
 * the env (made by `makeEnv`) from one evaluation to the next.
 */
export class GreedyEvaluator {
  private readonly copies: Env<ActionSpace>[] = [];
  private observations = new Float32Array(0);

  constructor(private readonly makeEnv: () => Env<ActionSpace>) {}

  /**
   * The returns evaluateGreedy(policy, stream, episodes, seed) gives, and `stream` left where it
   * leaves it (its generator past the same resets). Episode e is played on copy e, reset from the
   * stream generator's state before the stream's e-th reset; every step, the live episodes act on
   * one forward pass of all copies' observations.
   */
  async evaluate(policy: GreedyPolicy, stream: Env<ActionSpace>, episodes: number, seed?: number): Promise<number[]> {
    if (!hasGenerator(stream)) return evaluateGreedy(policy, stream, episodes, seed);
    const obsDim = stream.obsDim;
    while (this.copies.length < episodes) this.copies.push(this.makeEnv());
    if (this.observations.length !== episodes * obsDim) this.observations = new Float32Array(episodes * obsDim);
    const obs = this.observations;
    const scratch = new Float32Array(obsDim);
    for (let e = 0; e < episodes; e++) {
      const copy = this.copies[e];
      if (e === 0 && seed !== undefined) {
        stream.resetInto(scratch, 0, { seed });
        copy.resetInto(obs, 0, { seed });
        continue;
      }
      const before = envRngState(stream);
      stream.resetInto(scratch, 0);
      if (before === null) throw new Error('internal: an unseeded first reset has no generator state to copy');
      setEnvRngState(copy, before);
      copy.resetInto(obs, e * obsDim);
    }
    const returns = new Array<number>(episodes).fill(0);
    const live = new Uint8Array(episodes).fill(1);
    let remaining = episodes;
    const rec = newStepRecord();
    const action = new Float32Array(policy.nActions);
    while (remaining > 0) {
      await yieldIfDue();
      // Finished episodes keep their last observation: their rows are computed and ignored.
      const q = await policy.qValuesBatch(obs, episodes);
      for (let e = 0; e < episodes; e++) {
        if (live[e] === 0) continue;
        rec.info = undefined;
        this.copies[e].stepInto(greedyAction(policy, q, e, action), obs, e * obsDim, rec);
        returns[e] += rec.reward;
        if (rec.terminated || rec.truncated) {
          live[e] = 0;
          remaining--;
        }
      }
    }
    return returns;
  }

  close(): void {
    for (const env of this.copies) env.close();
    this.copies.length = 0;
  }
}

/** Whether the env's resets draw from a generator whose state can be copied (the classic-control envs). */
function hasGenerator(env: Env<ActionSpace>): boolean {
  return generatorHolder(env) !== null;
}
