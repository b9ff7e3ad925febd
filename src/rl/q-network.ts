/**
 * The Q-function approximator: an MLP obs -> Q(s, .) or, with `dueling`, a shared trunk feeding a
 * value stream V(s) and an advantage stream A(s, .) combined as Q = V + A - mean(A).
 */
import type { Activation, Backend, FloatArray, Tensor } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { BatchBuffers } from '../nn/batch-buffers.js';
import type { Initializer } from '../nn/init.js';
import type { Parameter } from '../nn/parameter.js';
import { Sequential, mlp } from '../nn/sequential.js';
import type { Rng } from '../random/rng.js';

export interface QNetworkSpec {
  obsDim: number;
  nActions: number;
  hidden: readonly number[];
  activation: Activation;
  init: Initializer;
  dueling: boolean;
}

export class QNetwork {
  readonly spec: QNetworkSpec;
  /** [net] or, dueling, [trunk, value head, advantage head]. */
  private readonly parts: readonly Sequential[];
  private readonly params: Parameter[];
  private readonly qBuffers: BatchBuffers | null;
  private readonly gradValue: BatchBuffers | null;
  private readonly gradAdvantage: BatchBuffers | null;
  private readonly trunkGrad: BatchBuffers | null;
  private readonly ones: BatchBuffers | null;
  /** One observation and its Q-values, for acting and evaluation (qValues). */
  private readonly actInput: Tensor;
  private readonly actQ: Float32Array;

  constructor(
    private readonly backend: Backend,
    spec: QNetworkSpec,
    rng: Rng,
  ) {
    this.spec = { ...spec, hidden: [...spec.hidden] };
    const { obsDim, nActions, hidden, activation, init } = spec;
    if (!spec.dueling) {
      this.parts = [mlp(backend, [obsDim, ...hidden, nActions], { hidden: activation, output: 'identity', init, rng })];
      this.qBuffers = this.gradValue = this.gradAdvantage = this.trunkGrad = this.ones = null;
    } else {
      const width = hidden[hidden.length - 1];
      const trunk = mlp(backend, [obsDim, ...hidden], { hidden: activation, output: activation, init, rng });
      const value = mlp(backend, [width, 1], { output: 'identity', init, rng });
      const advantage = mlp(backend, [width, nActions], { output: 'identity', init, rng });
      this.parts = [trunk, value, advantage];
      this.qBuffers = new BatchBuffers(backend, nActions, 'dueling.q');
      this.gradValue = new BatchBuffers(backend, 1, 'dueling.dv');
      this.gradAdvantage = new BatchBuffers(backend, nActions, 'dueling.da');
      this.trunkGrad = new BatchBuffers(backend, width, 'dueling.dtrunk');
      this.ones = new BatchBuffers(backend, width, 'dueling.ones');
    }
    this.params = this.parts.flatMap((p) => p.parameters());
    this.actInput = backend.tensor([1, obsDim], undefined, 'act.s');
    this.actQ = new Float32Array(nActions);
  }

  get nActions(): number {
    return this.spec.nActions;
  }

  /** Q(s, .) for one observation (a read back). The returned array is reused by the next call. */
  async qValues(observation: ArrayLike<number>): Promise<Float32Array> {
    this.backend.write(this.actInput, observation);
    await this.backend.read(this.forward(this.actInput), this.actQ);
    return this.actQ;
  }

  /** Q(s, .) for observations x (batch, obsDim); the result is owned by the network and cached per batch size. */
  forward(x: Tensor): Tensor {
    if (!this.spec.dueling) return this.parts[0].forward(x);
    const [trunk, value, advantage] = this.parts;
    const h = trunk.forward(x);
    const v = value.forward(h);
    const a = advantage.forward(h);
    const q = (this.qBuffers as BatchBuffers).get(x.rows);
    this.backend.duelingCombine(v, a, q);
    return q;
  }

  /**
   * Backpropagates d loss / d Q of the latest forward into every parameter gradient, adding to it
   * or, with `accumulate` false, overwriting it (no zeroGrad needed).
   */
  backward(gradQ: Tensor, accumulate = true): void {
    if (!this.spec.dueling) {
      this.parts[0].backward(gradQ, { accumulate });
      return;
    }
    const [trunk, value, advantage] = this.parts;
    const batch = gradQ.rows;
    const dv = (this.gradValue as BatchBuffers).get(batch);
    const da = (this.gradAdvantage as BatchBuffers).get(batch);
    this.backend.duelingBackward(gradQ, dv, da);
    const dhValue = value.backward(dv, { inputGrad: true, accumulate }) as Tensor;
    const dhAdvantage = advantage.backward(da, { inputGrad: true, accumulate }) as Tensor;
    // Both streams read the trunk output: its gradient is the sum of theirs.
    const dh = (this.trunkGrad as BatchBuffers).get(batch);
    this.backend.addMul(dhAdvantage, this.onesFor(batch), dhValue, dh);
    trunk.backward(dh, { accumulate });
  }

  /** Every trainable parameter, trunk first (W1, b1, W2, b2, ...). */
  parameters(): Parameter[] {
    return this.params;
  }

  zeroGrad(): void {
    for (const part of this.parts) part.zeroGrad();
  }

  /** Hard update: this <- other. */
  copyFrom(other: QNetwork): void {
    this.checkSameSpec(other);
    this.parts.forEach((p, i) => p.copyFrom(other.parts[i]));
  }

  /** Soft update: this <- this + tau (other - this). */
  lerpFrom(other: QNetwork, tau: number): void {
    this.checkSameSpec(other);
    this.parts.forEach((p, i) => p.lerpFrom(other.parts[i], tau));
  }

  /** Flat row-major arrays in parameters() order; W shaped (in, out), b (1, out). */
  async getWeights(): Promise<FloatArray[]> {
    const out: FloatArray[] = [];
    for (const part of this.parts) out.push(...(await part.getWeights()));
    return out;
  }

  /** The shapes of getWeights()'s arrays. */
  weightShapes(): [number, number][] {
    return qNetworkWeightShapes(this.spec);
  }

  /** Overwrites every parameter (sizes checked, errors name the layer and both shapes). */
  setWeights(arrays: readonly ArrayLike<number>[]): void {
    if (arrays.length !== this.params.length) {
      const shapes = this.weightShapes().map(([r, c]) => `(${r}, ${c})`).join(', ');
      throw new ShapeError(`Q-network expects ${this.params.length} arrays [${shapes}], got ${arrays.length}`);
    }
    let offset = 0;
    for (const part of this.parts) {
      const n = part.parameters().length;
      part.setWeights(arrays.slice(offset, offset + n));
      offset += n;
    }
  }

  dispose(): void {
    for (const part of this.parts) part.dispose();
    for (const b of [this.qBuffers, this.gradValue, this.gradAdvantage, this.trunkGrad, this.ones]) b?.dispose();
    this.actInput.dispose();
  }

  private onesFor(batch: number): Tensor {
    const ones = (this.ones as BatchBuffers).get(batch);
    // Filled on every use: cheap, and keeps BatchBuffers free of per-buffer initialisation state.
    this.backend.fill(ones, 1);
    return ones;
  }

  private checkSameSpec(other: QNetwork): void {
    const a = this.spec;
    const b = other.spec;
    const same =
      a.obsDim === b.obsDim && a.nActions === b.nActions && a.dueling === b.dueling && a.hidden.length === b.hidden.length && a.hidden.every((h, i) => h === b.hidden[i]);
    if (!same) throw new ShapeError(`Q-networks differ: ${describe(a)} vs ${describe(b)}`);
  }
}

/** The (rows, cols) of every parameter of a Q-network, in getWeights() order, without building one. */
export function qNetworkWeightShapes(spec: Pick<QNetworkSpec, 'obsDim' | 'nActions' | 'hidden' | 'dueling'>): [number, number][] {
  const { obsDim, nActions, hidden, dueling } = spec;
  const sizes = dueling ? [obsDim, ...hidden] : [obsDim, ...hidden, nActions];
  const shapes: [number, number][] = [];
  for (let i = 0; i + 1 < sizes.length; i++) shapes.push([sizes[i], sizes[i + 1]], [1, sizes[i + 1]]);
  if (dueling) {
    const h = hidden[hidden.length - 1];
    shapes.push([h, 1], [1, 1], [h, nActions], [1, nActions]);
  }
  return shapes;
}

function describe(s: QNetworkSpec): string {
  return `${s.obsDim}-${s.hidden.join('-')}-${s.nActions}${s.dueling ? ' dueling' : ''}`;
}
