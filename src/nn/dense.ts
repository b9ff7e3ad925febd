/**
 * Fully connected layer y = act(x W + b), W (in, out) and b (1, out) as numpy-rl-engine.
 * Backward: dW += x^T g, db += column sums of g, dx = g W^T, with g the gradient before the
 * activation (computed from the stored output y).
 */
import type { Activation, Backend, Tensor } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import type { Rng } from '../random/rng.js';
import { DEFAULT_LEAKY_SLOPE, checkActivation } from './activations.js';
import { BatchBuffers } from './batch-buffers.js';
import { checkInitializer, initBias, initWeights, type Initializer } from './init.js';
import type { Layer } from './layer.js';
import type { Parameter } from './parameter.js';

/** Hoisted op options: the hot path allocates nothing. */
const WEIGHT_GRAD = { transA: true, accumulate: true } as const;
const BIAS_GRAD = { accumulate: true } as const;
const WEIGHT_GRAD_OVERWRITE = { transA: true, accumulate: false } as const;
const BIAS_GRAD_OVERWRITE = { accumulate: false } as const;
const INPUT_GRAD = { transB: true } as const;

export interface DenseOptions {
  /** Activation fused after the affine map (default 'identity'). */
  activation?: Activation | string;
  /** Weight initialiser (default 'he_uniform'); the bias starts at zero except with 'torch_default'. */
  init?: Initializer | string;
  /** Source of the initial weights. */
  rng: Rng;
  /** LeakyReLU slope (default 0.01). */
  alpha?: number;
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
  private readonly outputs: BatchBuffers;
  private readonly preActivationGrads: BatchBuffers;
  private readonly inputGrads: BatchBuffers;
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
    const w = initWeights(init, inFeatures, outFeatures, options.rng);
    const b = initBias(init, inFeatures, outFeatures, options.rng);
    this.weight = {
      name: 'W',
      value: backend.tensor([inFeatures, outFeatures], w, 'W'),
      grad: backend.tensor([inFeatures, outFeatures], undefined, 'dW'),
    };
    this.bias = {
      name: 'b',
      value: backend.tensor([1, outFeatures], b ?? undefined, 'b'),
      grad: backend.tensor([1, outFeatures], undefined, 'db'),
    };
    this.params = [this.weight, this.bias];
    this.outputs = new BatchBuffers(backend, outFeatures, 'dense.y');
    this.preActivationGrads = new BatchBuffers(backend, outFeatures, 'dense.dz');
    this.inputGrads = new BatchBuffers(backend, inFeatures, 'dense.dx');
  }

  forward(x: Tensor): Tensor {
    if (x.cols !== this.inFeatures) {
      throw new ShapeError(
        `${this.description}: input ${formatShape(x.shape)} does not match W ${formatShape(this.weight.value.shape)} (${x.cols} != ${this.inFeatures} features)`,
      );
    }
    const y = this.outputs.get(x.rows);
    this.backend.matmul(x, this.weight.value, y);
    this.backend.biasActivation(y, this.bias.value, this.activation, y, this.alpha);
    this.lastInput = x;
    this.lastOutput = y;
    return y;
  }

  backward(gradOut: Tensor, needInputGrad: boolean, accumulate = true): Tensor | null {
    const x = this.lastInput;
    const y = this.lastOutput;
    if (x === null || y === null) throw new InvalidArgumentError(`${this.description}: backward before forward`);
    if (gradOut.rows !== y.rows || gradOut.cols !== y.cols) {
      throw new ShapeError(`${this.description}: gradOut ${formatShape(gradOut.shape)} does not match the output ${formatShape(y.shape)}`);
    }
    let g = gradOut;
    if (this.activation !== 'identity') {
      g = this.preActivationGrads.get(y.rows);
      this.backend.activationBackward(this.activation, y, gradOut, g, this.alpha);
    }
    this.backend.matmul(x, g, this.weight.grad, accumulate ? WEIGHT_GRAD : WEIGHT_GRAD_OVERWRITE);
    this.backend.columnSum(g, this.bias.grad, accumulate ? BIAS_GRAD : BIAS_GRAD_OVERWRITE);
    if (!needInputGrad) return null;
    const dx = this.inputGrads.get(y.rows);
    this.backend.matmul(g, this.weight.value, dx, INPUT_GRAD);
    return dx;
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  dispose(): void {
    for (const p of this.params) {
      p.value.dispose();
      p.grad.dispose();
    }
    this.outputs.dispose();
    this.preActivationGrads.dispose();
    this.inputGrads.dispose();
    this.lastInput = null;
    this.lastOutput = null;
  }
}
