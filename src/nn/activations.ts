/** Activation names and a parameter-free activation layer. */
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import { ACTIVATIONS, type Activation, type Backend, type Tensor } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, checkName, formatShape } from '../errors.js';
import { BatchBuffers } from './batch-buffers.js';
import type { Layer } from './layer.js';
import type { Parameter } from './parameter.js';

export { ACTIVATIONS, type Activation };

/** Checks an activation name (UnknownNameError listing the valid ones). */
export function checkActivation(name: string): Activation {
  return checkName('activation', name, ACTIVATIONS);
}

/** LeakyReLU's default negative slope (torch's). */
export const DEFAULT_LEAKY_SLOPE = OP_DEFAULTS.leakySlope;

/** An activation as its own layer (torch.nn.ReLU and friends); Dense also fuses one. */
export class ActivationLayer implements Layer {
  readonly activation: Activation;
  readonly description: string;
  private readonly outputs: BatchBuffers;
  private readonly inputGrads: BatchBuffers;
  private lastOutput: Tensor | null = null;

  constructor(
    private readonly backend: Backend,
    activation: Activation | string,
    readonly features: number,
    readonly alpha: number = DEFAULT_LEAKY_SLOPE,
  ) {
    this.activation = checkActivation(activation);
    this.description = `Activation(${this.activation}, ${features})`;
    this.outputs = new BatchBuffers(backend, features, `${this.activation}.y`);
    this.inputGrads = new BatchBuffers(backend, features, `${this.activation}.dx`);
  }

  forward(x: Tensor): Tensor {
    if (x.cols !== this.features) {
      throw new ShapeError(`${this.description}: input ${formatShape(x.shape)} must have ${this.features} columns`);
    }
    const y = this.outputs.get(x.rows);
    this.backend.biasActivation(x, null, this.activation, y, this.alpha);
    this.lastOutput = y;
    return y;
  }

  backward(gradOut: Tensor, needInputGrad: boolean): Tensor | null {
    const y = this.lastOutput;
    if (y === null) throw new InvalidArgumentError(`${this.description}: backward before forward`);
    if (!needInputGrad) return null;
    if (gradOut.rows !== y.rows || gradOut.cols !== y.cols) {
      throw new ShapeError(`${this.description}: gradOut ${formatShape(gradOut.shape)} must match the output ${formatShape(y.shape)}`);
    }
    const dx = this.inputGrads.get(y.rows);
    this.backend.activationBackward(this.activation, y, gradOut, dx, this.alpha);
    return dx;
  }

  parameters(): readonly Parameter[] {
    return [];
  }

  dispose(): void {
    this.outputs.dispose();
    this.inputGrads.dispose();
    this.lastOutput = null;
  }
}
