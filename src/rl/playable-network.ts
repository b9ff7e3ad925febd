/**
 * The greedy policy of a weights file's network, for `--mode eval` and the page's upload: a
 * Q-network (DQN, QR-DQN, PQN) plays the argmax of its Q-values; an actor-critic (PPO) plays the
 * argmax of its actor's logits, or on a Box env the actor's mean clipped to the bounds, its critic
 * unused, on observations normalised by the file's obs_mean and obs_var where it records them.
 * Built from the network the file records (weights-file.ts), so a file plays the same whatever
 * algorithm the flags name.
 */
import type { Backend, Tensor } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { mlp, type Sequential } from '../nn/sequential.js';
import { Rng } from '../random/rng.js';
import type { Box } from '../envs/spaces.js';
import type { GreedyPolicy } from './greedy-evaluation.js';
import { QNetwork, describeQNetwork } from './q-network.js';
import { RolloutNormalizer } from './rollout-normalizer.js';
import type { NetworkFields } from './weights-file.js';

/** A network loaded for play. */
export interface PlayableNetwork extends GreedyPolicy {
  /** What it is, for a banner ('4-64-64-2', 'actor 4-64-64-2'). */
  readonly description: string;
  /** Sets every array of the file, in its order (an actor-critic's critic and log-std are checked and not kept). */
  setWeights(arrays: readonly ArrayLike<number>[]): void;
  dispose(): void;
}

/**
 * The greedy policy of `network` on an env with these dimensions (`nActions` a Box's length, with
 * `box` its bounds); its weights are zero until setWeights.
 */
export function playableNetwork(backend: Backend, network: NetworkFields, obsDim: number, nActions: number, box: Box | null = null): PlayableNetwork {
  // The weights are the file's: the initialiser's draws are overwritten, so any seed does.
  const rng = new Rng(0);
  if (network.policy === 'actor-critic') return new ActorPolicy(backend, network, obsDim, nActions, box, rng);
  const q = new QNetwork(backend, { ...network, obsDim, nActions, init: 'torch_default' }, rng);
  return Object.assign(q, { description: describeQNetwork({ ...network, obsDim, nActions }) });
}

/** An actor-critic's actor: (normalised) observations -> logits or means, played by their argmax or clipped (GreedyPolicy). */
class ActorPolicy implements PlayableNetwork {
  readonly description: string;
  private readonly actor: Sequential;
  /** The file's observation statistics (frozen), or null when it records none. */
  private readonly normalizer: RolloutNormalizer | null;
  private readonly inputs = new Map<number, { obs: Tensor; normalized: Float32Array; out: Float32Array }>();

  constructor(
    private readonly backend: Backend,
    network: NetworkFields,
    private readonly obsDim: number,
    readonly nActions: number,
    readonly actionBounds: Box | null,
    rng: Rng,
  ) {
    this.actor = mlp(backend, [obsDim, ...network.hidden, nActions], { hidden: network.activation, init: 'torch_default', rng });
    this.normalizer = network.normalizeObservation === true ? new RolloutNormalizer(obsDim, 1, { observations: true, rewards: false, gamma: 1 }) : null;
    this.description = `actor ${obsDim}-${network.hidden.join('-')}-${nActions}${actionBounds !== null ? ' gaussian' : ''}${this.normalizer !== null ? ', normalised observations' : ''}`;
  }

  qValues(observation: ArrayLike<number>): Promise<Float32Array> {
    return this.qValuesBatch(observation, 1);
  }

  async qValuesBatch(observations: ArrayLike<number>, rows: number, dst?: Float32Array): Promise<Float32Array> {
    if (!Number.isInteger(rows) || rows < 1 || observations.length !== rows * this.obsDim) {
      throw new ShapeError(`actor: ${rows} observations need ${rows * this.obsDim} values, got ${observations.length}`);
    }
    let t = this.inputs.get(rows);
    if (t === undefined) {
      t = { obs: this.backend.tensor([rows, this.obsDim], undefined, `actor.s[${rows}]`), normalized: new Float32Array(rows * this.obsDim), out: new Float32Array(rows * this.nActions) };
      this.inputs.set(rows, t);
    }
    if (this.normalizer !== null) this.normalizer.normalizeInto(observations, rows, t.normalized);
    this.backend.write(t.obs, this.normalizer !== null ? t.normalized : observations);
    const out = dst ?? t.out;
    await this.backend.read(this.actor.forward(t.obs), out);
    return out;
  }

  setWeights(arrays: readonly ArrayLike<number>[]): void {
    // The file's arrays are the actor's, then the critic's (and a log-std), then the observation statistics.
    this.actor.setWeights(arrays.slice(0, this.actor.parameters().length));
    if (this.normalizer !== null) {
      const [mean, variance] = arrays.slice(-2);
      this.normalizer.setState({ obs: { mean: Array.from(mean), var: Array.from(variance), count: 1 }, reward: null });
    }
  }

  dispose(): void {
    this.actor.dispose();
    for (const t of this.inputs.values()) t.obs.dispose();
  }
}
