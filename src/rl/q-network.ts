/**
 * The Q-function approximator: hidden Dense layers obs -> features, then a linear head to Q(s, .)
 * or, with `dueling`, a DuelingHead (Q = V + A - mean(A)). One Sequential either way. With
 * `layerNorm` (PQN's network) each hidden layer is Dense, then LayerNorm with the activation fused
 * (layerNormThen: the same function as LayerNorm then the activation, in one op each way). With
 * `quantiles` N > 1 (QR-DQN) the head has N outputs per action, the quantiles of its return
 * (action a's in columns a N .. a N + N - 1), and Q(s, a) is their mean.
 */
import type { Activation, Backend, FloatArray, Tensor } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { Dense } from '../nn/dense.js';
import type { Initializer } from '../nn/init.js';
import type { Layer } from '../nn/layer.js';
import { layerNormThen } from '../nn/layer-norm.js';
import type { Parameter } from '../nn/parameter.js';
import { ParameterArena } from '../nn/parameter-arena.js';
import { Sequential } from '../nn/sequential.js';
import type { Rng } from '../random/rng.js';
import { DuelingHead } from './dueling-head.js';
import { qNetworkWeightShapes, quantileMeans } from './network-layout.js';

export { MAX_HIDDEN_LAYERS, qNetworkWeightShapes, quantileMeans } from './network-layout.js';

/** Hoisted backward options: the hot path allocates nothing. */
const ACCUMULATE = { accumulate: true } as const;
const OVERWRITE = { accumulate: false } as const;

export interface QNetworkSpec {
  obsDim: number;
  nActions: number;
  hidden: readonly number[];
  activation: Activation;
  init: Initializer;
  dueling: boolean;
  /** Outputs per action: 1 for Q-values, N > 1 for QR-DQN's quantiles (not with `dueling`). */
  quantiles: number;
  /**
   * Normalise every hidden layer (PQN): Dense (no activation), LayerNorm, then `activation` (fused into the LayerNorm), with
   * the LayerNorm's gamma (1, h) and beta (1, h) after the Dense layer's W and b. Default false.
   */
  layerNorm?: boolean;
}

export class QNetwork {
  readonly spec: QNetworkSpec;
  private readonly net: Sequential;
  /** Per batch size: the observations and Q-values of acting and evaluation (qValuesBatch). */
  private readonly actInputs = new Map<number, Tensor>();
  private readonly actQ = new Map<number, Float32Array>();
  /** Per batch size, the quantiles read back before their means (quantiles > 1). */
  private readonly actQuantiles = new Map<number, Float32Array>();

  constructor(
    private readonly backend: Backend,
    spec: QNetworkSpec,
    rng: Rng,
  ) {
    this.spec = { ...spec, hidden: [...spec.hidden] };
    const { obsDim, nActions, hidden, activation, init, quantiles } = spec;
    if (!Number.isSafeInteger(quantiles) || quantiles < 1) throw new ShapeError(`Q-network: quantiles must be a positive integer, got ${quantiles}`);
    if (quantiles > 1 && spec.dueling) throw new ShapeError(`Q-network: a dueling head has no quantiles (quantiles ${quantiles})`);
    // Every parameter in one arena, so whole-network ops (Adam, target updates) are one op each.
    const arena = new ParameterArena(backend, qNetworkWeightShapes(spec), 'q');
    // Layers are built, and their initial weights drawn, in order: hidden layers, then the head.
    const layers: Layer[] = [];
    const sizes = [obsDim, ...hidden];
    const normed = spec.layerNorm === true;
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new Dense(backend, sizes[i], sizes[i + 1], { activation: normed ? 'identity' : activation, init, rng, parameters: arena }));
      // LayerNorm with the activation fused into its ops (one op each way instead of two).
      if (normed) layers.push(...layerNormThen(backend, sizes[i + 1], activation, { parameters: arena }));
    }
    const width = sizes[sizes.length - 1];
    layers.push(
      spec.dueling
        ? new DuelingHead(backend, width, nActions, { init, rng, parameters: arena })
        : new Dense(backend, width, nActions * quantiles, { activation: 'identity', init, rng, parameters: arena }),
    );
    this.net = new Sequential(backend, layers, { arena });
  }

  get nActions(): number {
    return this.spec.nActions;
  }

  /** Q(s, .) for one observation (a read back). The returned array is reused by the next call. */
  qValues(observation: ArrayLike<number>): Promise<Float32Array> {
    return this.qValuesBatch(observation, 1);
  }

  /**
   * Q(s, .) of `rows` observations (exactly rows * obsDim values, row-major) in one forward pass and one
   * read back: rows * nActions values, row by row, into `dst` when given, else into an array reused
   * by the next call of the same batch size; nothing is allocated after the first call of a size.
   */
  async qValuesBatch(observations: ArrayLike<number>, rows: number, dst?: Float32Array): Promise<Float32Array> {
    const { obsDim, nActions } = this.spec;
    if (!Number.isInteger(rows) || rows < 1 || observations.length !== rows * obsDim) {
      throw new ShapeError(`Q-network: ${rows} observations need ${rows * obsDim} values, got ${observations.length}`);
    }
    let input = this.actInputs.get(rows);
    let q = this.actQ.get(rows);
    if (input === undefined || q === undefined) {
      input = this.backend.tensor([rows, obsDim], undefined, `act.s[${rows}]`);
      q = new Float32Array(rows * nActions);
      this.actInputs.set(rows, input);
      this.actQ.set(rows, q);
    }
    this.backend.write(input, observations);
    const out = dst ?? q;
    const n = this.spec.quantiles;
    if (n === 1) {
      await this.backend.read(this.forward(input), out);
      return out;
    }
    let quantiles = this.actQuantiles.get(rows);
    if (quantiles === undefined) this.actQuantiles.set(rows, (quantiles = new Float32Array(rows * nActions * n)));
    await this.backend.read(this.forward(input), quantiles);
    quantileMeans(quantiles, out, rows * nActions, n);
    return out;
  }

  /**
   * The head's outputs for observations x (batch, obsDim): Q(s, .), or with quantiles every
   * action's N quantiles; the result is owned by the network and cached per batch size.
   */
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }

  /**
   * Backpropagates d loss / d Q of the latest forward into every parameter gradient, adding to it
   * or, with `accumulate` false, overwriting it (no zeroGrad needed).
   */
  backward(gradQ: Tensor, accumulate = true): void {
    this.net.backward(gradQ, accumulate ? ACCUMULATE : OVERWRITE);
  }

  /** Every trainable parameter, first layer first (W1, b1, with layerNorm gamma1, beta1, then W2, b2, ..., then the head's). */
  parameters(): Parameter[] {
    return this.net.parameters();
  }

  /** The arena holding every parameter (flat values and gradients). */
  get arena(): ParameterArena {
    return this.net.arena as ParameterArena;
  }

  /** Hard update: this <- other. */
  copyFrom(other: QNetwork): void {
    this.checkSameSpec(other);
    this.net.copyFrom(other.net);
  }

  /** Soft update: this <- this + tau (other - this). */
  lerpFrom(other: QNetwork, tau: number): void {
    this.checkSameSpec(other);
    this.net.lerpFrom(other.net, tau);
  }

  /** Flat row-major arrays in parameters() order; W shaped (in, out), b (1, out). */
  getWeights(): Promise<FloatArray[]> {
    return this.net.getWeights();
  }

  /** The shapes of getWeights()'s arrays. */
  weightShapes(): [number, number][] {
    return qNetworkWeightShapes(this.spec);
  }

  /** Overwrites every parameter (sizes checked, errors name the layer and both shapes). */
  setWeights(arrays: readonly ArrayLike<number>[]): void {
    const count = this.net.parameters().length;
    if (arrays.length !== count) {
      const shapes = this.weightShapes().map(([r, c]) => `(${r}, ${c})`).join(', ');
      throw new ShapeError(`Q-network expects ${count} arrays [${shapes}], got ${arrays.length}`);
    }
    this.net.setWeights(arrays);
  }

  dispose(): void {
    this.net.dispose();
    for (const t of this.actInputs.values()) t.dispose();
    this.actInputs.clear();
    this.actQ.clear();
    this.actQuantiles.clear();
  }

  private checkSameSpec(other: QNetwork): void {
    const a = this.spec;
    const b = other.spec;
    const same =
      a.obsDim === b.obsDim &&
      a.nActions === b.nActions &&
      a.dueling === b.dueling &&
      a.quantiles === b.quantiles &&
      (a.layerNorm === true) === (b.layerNorm === true) &&
      a.hidden.length === b.hidden.length && a.hidden.every((h, i) => h === b.hidden[i]);
    if (!same) throw new ShapeError(`Q-networks differ: ${describeQNetwork(a)} vs ${describeQNetwork(b)}`);
  }
}

/** A network's shape as the CLI and errors show it: '6-256-256-3', with ' layernorm', ' dueling' or ' x 25 quantiles'. */
export function describeQNetwork(s: Pick<QNetworkSpec, 'obsDim' | 'nActions' | 'hidden' | 'dueling' | 'quantiles' | 'layerNorm'>): string {
  return `${s.obsDim}-${s.hidden.join('-')}-${s.nActions}${s.layerNorm === true ? ' layernorm' : ''}${s.dueling ? ' dueling' : ''}${s.quantiles > 1 ? ` x ${s.quantiles} quantiles` : ''}`;
}
