/**
 * Layer normalisation over the features of each row, torch.nn.LayerNorm(features) semantics:
 * y = (x - mean) / sqrt(var + eps) * gamma + beta with the biased variance, gamma starting at 1 and
 * beta at 0, optionally followed by an elementwise activation fused into the same op (PQN's
 * LayerNorm then ReLU: the same outputs and gradients as LayerNorm then an ActivationLayer, in one
 * op each way instead of two). Forward is one `layerNorm` op, which also saves each row's mean and
 * reciprocal std; backward is one `layerNormBackward` op giving dgamma, dbeta and (when asked for)
 * dx, with the activation's derivative (from this layer's output) applied to the incoming gradient.
 *
 * As Dense, the backward pass may cover only the first rows of the latest forward (the other rows
 * then count as a zero gradient).
 */
import type { Activation, Backend, LayerNormArgs, LayerNormBackwardArgs, Tensor } from '../backend/backend.js';
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import { ActivationLayer, DEFAULT_LEAKY_SLOPE, checkActivation } from './activations.js';
import { BatchBuffers, PrefixViews } from './batch-buffers.js';
import type { Layer } from './layer.js';
import type { Parameter } from './parameter.js';
import { disposeOwnParameters, ownParameter, type ParameterSource } from './parameter-arena.js';

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5, torch's). */
  eps?: number;
  /** Where gamma and beta live (a network's ParameterArena); by default the layer allocates its own. */
  parameters?: ParameterSource;
  /** Activation fused after the normalisation (default 'identity'); elementwise ones only, not softmax. */
  activation?: Activation | string;
  /** LeakyReLU slope (default 0.01). */
  alpha?: number;
}

export class LayerNorm implements Layer {
  readonly features: number;
  readonly eps: number;
  readonly activation: Activation;
  readonly alpha: number;
  readonly description: string;
  readonly gamma: Parameter;
  readonly beta: Parameter;
  private readonly params: readonly Parameter[];
  private readonly ownsParameters: boolean;
  private readonly outputs: BatchBuffers;
  private readonly stats: BatchBuffers;
  private readonly inputGrads: BatchBuffers;
  private readonly prefixes: PrefixViews;
  /** The op arguments, one object each, reused on every call (no allocation once warm). */
  private readonly forwardArgs: LayerNormArgs;
  private readonly backwardArgs: LayerNormBackwardArgs;
  private lastInput: Tensor | null = null;
  private lastStats: Tensor | null = null;
  private lastOutput: Tensor | null = null;

  constructor(
    private readonly backend: Backend,
    features: number,
    options: LayerNormOptions = {},
  ) {
    if (!Number.isInteger(features) || features < 1) throw new InvalidArgumentError(`LayerNorm: features must be a positive integer, got ${features}`);
    const eps = options.eps ?? OP_DEFAULTS.layerNormEps;
    if (!(eps > 0) || !Number.isFinite(eps)) throw new InvalidArgumentError(`LayerNorm: eps must be positive, got ${eps}`);
    const activation = checkActivation(options.activation ?? 'identity');
    if (activation === 'softmax') throw new InvalidArgumentError('LayerNorm: softmax is not elementwise; follow the layer with an ActivationLayer instead');
    this.features = features;
    this.eps = eps;
    this.activation = activation;
    this.alpha = options.alpha ?? DEFAULT_LEAKY_SLOPE;
    this.description = activation === 'identity' ? `LayerNorm(${features})` : `LayerNorm(${features}, ${activation})`;
    const source = options.parameters;
    this.ownsParameters = source === undefined;
    this.gamma = source === undefined ? ownParameter(backend, 'gamma', [1, features]) : source.take('gamma', [1, features]);
    this.beta = source === undefined ? ownParameter(backend, 'beta', [1, features]) : source.take('beta', [1, features]);
    backend.fill(this.gamma.value, 1);
    backend.fill(this.beta.value, 0);
    this.params = [this.gamma, this.beta];
    this.outputs = new BatchBuffers(backend, features, 'layernorm.y');
    this.stats = new BatchBuffers(backend, 2, 'layernorm.stats');
    this.inputGrads = new BatchBuffers(backend, features, 'layernorm.dx');
    this.prefixes = new PrefixViews(backend);
    const g = this.gamma.value;
    const alpha = this.alpha;
    this.forwardArgs = { x: g, gamma: g, beta: this.beta.value, eps, out: g, stats: g, activation, alpha };
    this.backwardArgs = { x: g, gamma: g, stats: g, dy: g, dx: null, dgamma: this.gamma.grad, dbeta: this.beta.grad, accumulate: false, y: null, activation, alpha };
  }

  forward(x: Tensor): Tensor {
    if (x.cols !== this.features) throw new ShapeError(`${this.description}: input ${formatShape(x.shape)} must have ${this.features} columns`);
    const args = this.forwardArgs;
    args.x = x;
    args.out = this.outputs.get(x.rows);
    args.stats = this.stats.get(x.rows);
    this.backend.layerNorm(args);
    this.lastInput = x;
    this.lastStats = args.stats;
    this.lastOutput = args.out;
    return args.out;
  }

  backward(gradOut: Tensor, needInputGrad: boolean, accumulate = true): Tensor | null {
    const x = this.lastInput;
    const stats = this.lastStats;
    const y = this.lastOutput;
    if (x === null || stats === null || y === null) throw new InvalidArgumentError(`${this.description}: backward before forward`);
    const rows = gradOut.rows;
    if (gradOut.cols !== this.features || rows > x.rows) {
      throw new ShapeError(`${this.description}: gradOut ${formatShape(gradOut.shape)} does not match the output (${x.rows}, ${this.features})`);
    }
    const args = this.backwardArgs;
    args.x = this.prefixes.of(x, rows);
    args.gamma = this.gamma.value;
    args.stats = this.prefixes.of(stats, rows);
    args.dy = gradOut;
    // The activation's derivative is taken at the output (its first rows); identity reads none.
    args.y = this.activation === 'identity' ? null : this.prefixes.of(y, rows);
    args.dx = needInputGrad ? this.inputGrads.get(rows) : null;
    args.accumulate = accumulate;
    this.backend.layerNormBackward(args);
    return args.dx ?? null;
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  dispose(): void {
    if (this.ownsParameters) disposeOwnParameters(this.params);
    this.outputs.dispose();
    this.stats.dispose();
    this.inputGrads.dispose();
    this.prefixes.clear();
    this.lastInput = null;
    this.lastStats = null;
    this.lastOutput = null;
  }
}

/**
 * LayerNorm then `activation` over `features` columns, as few layers as the ops allow: one LayerNorm
 * with the activation fused (every elementwise activation), or a LayerNorm and a softmax
 * ActivationLayer (softmax is a row op the LayerNorm kernels do not fuse).
 */
export function layerNormThen(
  backend: Backend,
  features: number,
  activation: Activation | string,
  options: Omit<LayerNormOptions, 'activation'> = {},
): Layer[] {
  const act = checkActivation(activation);
  if (act !== 'softmax') return [new LayerNorm(backend, features, { ...options, activation: act })];
  const norm = new LayerNorm(backend, features, options);
  return [norm, new ActivationLayer(backend, act, features, options.alpha)];
}
