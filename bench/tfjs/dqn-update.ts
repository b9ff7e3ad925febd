/**
 * The DQN update of bench/dqn/update-bench.ts written as a TensorFlow.js 4.x user would write it:
 * variables for the online and target MLPs, dense layers as tf.fused.matMul with bias and ReLU (what
 * tfjs-layers' Dense runs), the TD target from the target net outside the loss function, the
 * chosen actions picked with a one-hot mask, tf.losses.huberLoss (mean), optimizer.minimize with
 * tf.train.adam, a Polyak soft update with Variable.assign, all inside tf.tidy. The minibatch is
 * uploaded each update (tf.tensor from the host arrays), as DqnAgent.update uploads its own.
 */
import type { Tensor, Variable, Scalar, Rank } from '@tensorflow/tfjs';
import type { Minibatch } from '../../src/rl/replay-buffer.js';
import { Rng } from '../../src/random/rng.js';
import { ACTIONS, ADAM_EPS, BATCH, GAMMA, HUBER_DELTA, LR, OBS, TAU, WARMUP_UPDATES, prepareMinibatches, type Contender } from '../dqn/update-bench.js';
import type { Tf, TfjsBackendName } from './tfjs-node.js';

interface Layer {
  w: Variable;
  b: Variable;
}

export class TfjsDqnContender implements Contender {
  readonly name: string;
  private readonly online: Layer[];
  private readonly target: Layer[];
  private readonly optimizer: ReturnType<Tf['train']['adam']>;
  private readonly batches: Minibatch[];
  private next = 0;
  private lastLoss: Scalar | null = null;

  /** Creates the networks on `backend`, which the caller has made active. */
  constructor(
    private readonly tf: Tf,
    readonly backend: TfjsBackendName,
    hidden: readonly number[],
  ) {
    if (tf.getBackend() !== backend) throw new Error(`tfjs ${backend}: the active backend is ${tf.getBackend()}`);
    this.name = `tfjs ${backend}`;
    const sizes = [OBS, ...hidden, ACTIONS];
    // PyTorch's default Linear init, as the engine's 'torch_default': U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    this.online = sizes.slice(1).map((out, i) => {
      const bound = 1 / Math.sqrt(sizes[i]);
      return {
        w: tf.variable(tf.randomUniform([sizes[i], out], -bound, bound, 'float32', 2 * i + 1), true),
        b: tf.variable(tf.randomUniform([out], -bound, bound, 'float32', 2 * i + 2), true),
      };
    });
    this.target = this.online.map((layer, i) => ({
      w: tf.variable(layer.w.clone(), false),
      b: tf.variable(layer.b.clone(), false),
    }));
    this.optimizer = tf.train.adam(LR, 0.9, 0.999, ADAM_EPS);
    this.batches = prepareMinibatches(new Rng(1));
  }

  /**
   * Sets both networks from flat arrays in the engine's order and layout (W1, b1, W2, b2, ...; W
   * (in, out) row-major, b (1, out)), as DqnAgent.getState() gives them: for cross-checks.
   */
  setWeights(online: readonly ArrayLike<number>[], target: readonly ArrayLike<number>[]): void {
    const tf = this.tf;
    const load = (layers: Layer[], flat: readonly ArrayLike<number>[]): void => {
      if (flat.length !== 2 * layers.length) throw new Error(`${this.name}: setWeights needs ${2 * layers.length} arrays, got ${flat.length}`);
      layers.forEach((l, i) => {
        l.w.assign(tf.tensor(Float32Array.from(flat[2 * i]), l.w.shape));
        l.b.assign(tf.tensor(Float32Array.from(flat[2 * i + 1]), l.b.shape));
      });
    };
    tf.tidy(() => {
      load(this.online, online);
      load(this.target, target);
    });
  }

  /** The online and target weights, flat, in setWeights's order. */
  async getWeights(): Promise<{ online: Float32Array[]; target: Float32Array[] }> {
    const read = (layers: Layer[]) => Promise.all(layers.flatMap((l) => [l.w, l.b]).map(async (v) => (await v.data()) as Float32Array));
    return { online: await read(this.online), target: await read(this.target) };
  }

  /** The loss of the latest update. */
  async readLoss(): Promise<number> {
    if (this.lastLoss === null) throw new Error(`${this.name}: no update yet`);
    return (await this.lastLoss.data())[0];
  }

  private forward(layers: Layer[], x: Tensor): Tensor {
    let h = x;
    layers.forEach((layer, i) => {
      h = this.tf.fused.matMul({ a: h, b: layer.w, bias: layer.b, activation: i < layers.length - 1 ? 'relu' : 'linear' });
    });
    return h;
  }

  update(batch: Minibatch): void {
    const tf = this.tf;
    const loss = tf.tidy(() => {
      const s = tf.tensor2d(batch.observations, [BATCH, OBS]);
      const sNext = tf.tensor2d(batch.nextObservations, [BATCH, OBS]);
      const actions = tf.tensor1d(Int32Array.from(batch.actions), 'int32');
      const rewards = tf.tensor1d(batch.rewards);
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
      const nextValue = tf.max(this.forward(this.target, sNext), 1);
      const y = tf.add(rewards, tf.mul(tf.mul(GAMMA, notDone), nextValue));
      // int32 one-hot, then a cast: tfjs-backend-wasm 4.22's OneHot with dtype 'float32' writes the
      // int32 bit patterns (1 reads as 1.4e-45), so the float32 form would train nothing there.
      const chosen = tf.cast(tf.oneHot(actions, ACTIONS), 'float32');
      const variables = this.online.flatMap((l) => [l.w, l.b]);
      const cost = this.optimizer.minimize(
        () => {
          const q = tf.sum(tf.mul(this.forward(this.online, s), chosen), 1);
          return tf.losses.huberLoss(y, q, undefined, HUBER_DELTA, tf.Reduction.MEAN) as Scalar;
        },
        true,
        variables,
      ) as Scalar;
      this.target.forEach((t, i) => {
        const o = this.online[i];
        t.w.assign(tf.add(tf.mul(1 - TAU, t.w), tf.mul(TAU, o.w)));
        t.b.assign(tf.add(tf.mul(1 - TAU, t.b), tf.mul(TAU, o.b)));
      });
      return cost;
    });
    this.lastLoss?.dispose();
    this.lastLoss = loss;
  }

  /** `updates` updates, then a read of the last loss so that all queued GPU work has finished. */
  async run(updates: number): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < updates; i++) {
      this.update(this.batches[this.next]);
      this.next = (this.next + 1) % this.batches.length;
    }
    await (this.lastLoss as Tensor<Rank>).data();
    return (performance.now() - start) / 1000;
  }

  async warmUp(): Promise<void> {
    await this.run(WARMUP_UPDATES);
  }

  /** The last loss, which must be finite; tensors left alive by one update (0 unless tfjs leaks). */
  async finish(): Promise<{ loss: number; tensorsLeakedPerUpdate: number }> {
    const tf = this.tf;
    const before = tf.memory().numTensors;
    await this.run(10);
    const leaked = (tf.memory().numTensors - before) / 10;
    const loss = await this.readLoss();
    if (!Number.isFinite(loss)) throw new Error(`${this.name}: the update diverged (loss ${loss})`);
    return { loss, tensorsLeakedPerUpdate: leaked };
  }

  dispose(): void {
    this.lastLoss?.dispose();
    this.optimizer.dispose();
    for (const l of [...this.online, ...this.target]) {
      l.w.dispose();
      l.b.dispose();
    }
  }

}
