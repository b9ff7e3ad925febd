/**
 * Fully connected layer y = act(x W + b), W (in, out) and b (1, out) as numpy-rl-engine.
 * Forward: one fused `linear` op. Backward from the gradient g of the pre-activation: dW = x^T g
 * and db = column sums of g in one `linearGrad` op; the gradient passed down is g W^T, fused with
 * the derivative of the layer below's activation when Sequential asks for it (`linearInputGrad`).
 *
 * The backward pass may cover only the first rows of the latest forward (the gradient has fewer
 * rows than the output): the other rows then count as a zero gradient. A DQN update forwards
 * Q(s) and Q(s') in one batch and differentiates only Q(s).
 */
import type { Activation, Backend, Tensor } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import type { Rng } from '../random/rng.js';
import { DEFAULT_LEAKY_SLOPE, checkActivation } from './activations.js';
import { BatchBuffers, PrefixViews } from './batch-buffers.js';
import { checkInitializer, initBias, initWeights, type Initializer } from './init.js';
import type { Layer } from './layer.js';
import type { Parameter } from './parameter.js';
import { disposeOwnParameters, ownParameter, type ParameterSource } from './parameter-arena.js';

/** Hoisted op options: the hot path allocates nothing. */
const ACCUMULATE = { accumulate: true } as const;
const OVERWRITE = { accumulate: false } as const;

export interface DenseOptions {
  /** Activation fused after the affine map (default 'identity'). */
  activation?: Activation | string;
  /** Weight initialiser (default 'he_uniform'); the bias starts at zero except with 'torch_default'. */
  init?: Initializer | string;
  /** The orthogonal initialiser's gain (initWeights; default sqrt 2). */
  gain?: number;
  /** Source of the initial weights. */
  rng: Rng;
  /** LeakyReLU slope (default 0.01). */
  alpha?: number;
  /** Where W and b live (a network's ParameterArena); by default the layer allocates its own. */
  parameters?: ParameterSource;
}

export class Dense implements Layer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: Activation;
  readonly alpha: number;
  readonly description: string;
  readonly weight: Parameter;
  readonly bias: Parameter;
  private readonly params: readonly Parameter[];
  private readonly ownsParameters: boolean;
  private readonly outputs: BatchBuffers;
  private readonly preActivationGrads: BatchBuffers;
  private readonly inputGrads: BatchBuffers;
  private readonly prefixes: PrefixViews;
  private lastInput: Tensor | null = null;
  private lastOutput: Tensor | null = null;

  constructor(
    private readonly backend: Backend,
    inFeatures: number,
    outFeatures: number,
    options: DenseOptions,
  ) {
    for (const [name, value] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`Dense: ${name} must be a positive integer, got ${value}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = checkActivation(options.activation ?? 'identity');
    this.alpha = options.alpha ?? DEFAULT_LEAKY_SLOPE;
    const init = checkInitializer(options.init ?? 'he_uniform');
    this.description = `Dense(${inFeatures} -> ${outFeatures}, ${this.activation})`;
    const w = initWeights(init, inFeatures, outFeatures, options.rng, options.gain);
    const b = initBias(init, inFeatures, outFeatures, options.rng);
    const source = options.parameters;
    this.ownsParameters = source === undefined;
    this.weight = source === undefined ? ownParameter(backend, 'W', [inFeatures, outFeatures]) : source.take('W', [inFeatures, outFeatures]);
    this.bias = source === undefined ? ownParameter(backend, 'b', [1, outFeatures]) : source.take('b', [1, outFeatures]);
    backend.write(this.weight.value, w);
    if (b !== null) backend.write(this.bias.value, b);
    this.params = [this.weight, this.bias];
    this.outputs = new BatchBuffers(backend, outFeatures, 'dense.y');
    this.preActivationGrads = new BatchBuffers(backend, outFeatures, 'dense.dz');
    this.inputGrads = new BatchBuffers(backend, inFeatures, 'dense.dx');
    this.prefixes = new PrefixViews(backend);
  }

  forward(x: Tensor): Tensor {
    if (x.cols !== this.inFeatures) {
      throw new ShapeError(
        `${this.description}: input ${formatShape(x.shape)} does not match W ${formatShape(this.weight.value.shape)} (${x.cols} != ${this.inFeatures} features)`,
      );
    }
    const y = this.outputs.get(x.rows);
    this.backend.linear(x, this.weight.value, this.bias.value, this.activation, y, this.alpha);
    this.lastInput = x;
    this.lastOutput = y;
    return y;
  }

  backward(gradOut: Tensor, needInputGrad: boolean, accumulate = true): Tensor | null {
    const g = this.preActivationGrad(gradOut);
    this.parameterGrads(g, accumulate);
    return needInputGrad ? this.inputGrad(g, null) : null;
  }

  /** The gradient of the pre-activation from that of the output (the output's first rows). */
  preActivationGrad(gradOut: Tensor): Tensor {
    const y = this.output(gradOut.rows);
    if (gradOut.cols !== y.cols) {
      throw new ShapeError(`${this.description}: gradOut ${formatShape(gradOut.shape)} does not match the output ${formatShape(y.shape)}`);
    }
    if (this.activation === 'identity') return gradOut;
    const g = this.preActivationGrads.get(gradOut.rows);
    this.backend.activationBackward(this.activation, y, gradOut, g, this.alpha);
    return g;
  }

  /** dW and db from the pre-activation gradient g, overwritten or (accumulate) added to. */
  parameterGrads(g: Tensor, accumulate: boolean): void {
    const x = this.input(g.rows);
    this.backend.linearGrad(x, g, this.weight.grad, this.bias.grad, accumulate ? ACCUMULATE : OVERWRITE);
  }

  /**
   * The gradient passed down, g W^T (owned by the layer). With `below` (the Dense layer feeding this
   * one), it is already multiplied by the derivative of below's activation: the gradient of below's
   * pre-activation, ready for below.parameterGrads.
   */
  inputGrad(g: Tensor, below: Dense | null): Tensor {
    const dx = this.inputGrads.get(g.rows);
    if (below === null) this.backend.linearInputGrad(g, this.weight.value, null, 'identity', dx);
    else this.backend.linearInputGrad(g, this.weight.value, below.output(g.rows), below.activation, dx, below.alpha);
    return dx;
  }

  /** Whether inputGrad can fuse this layer's activation derivative when it sits below another Dense. */
  get fusesBelow(): boolean {
    return this.activation !== 'softmax';
  }

  /** The first `rows` rows of the latest forward's output. */
  output(rows: number): Tensor {
    const y = this.lastOutput;
    if (y === null) throw new InvalidArgumentError(`${this.description}: backward before forward`);
    if (rows > y.rows) throw new ShapeError(`${this.description}: a gradient of ${rows} rows for a forward of ${y.rows}`);
    return this.prefixes.of(y, rows);
  }

  private input(rows: number): Tensor {
    const x = this.lastInput;
    if (x === null) throw new InvalidArgumentError(`${this.description}: backward before forward`);
    return this.prefixes.of(x, rows);
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  dispose(): void {
    if (this.ownsParameters) disposeOwnParameters(this.params);
    this.outputs.dispose();
    this.preActivationGrads.dispose();
    this.inputGrads.dispose();
    this.prefixes.clear();
    this.lastInput = null;
    this.lastOutput = null;
  }
}
