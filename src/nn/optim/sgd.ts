/** SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD. */
import type { Backend, SgdHyperParameters } from '../../backend/backend.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Parameter } from '../parameter.js';
import { SlotOptimizer, checkNonNegative } from './optimizer.js';

export interface SgdOptions {
  /** Default 1e-3 (torch's). */
  lr?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Default false; needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
}

export class Sgd extends SlotOptimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly hp: SgdHyperParameters;

  constructor(backend: Backend, params: readonly Parameter[], options: SgdOptions = {}) {
    super(backend, params, 'sgd', ['momentum']);
    this.lr = options.lr ?? 1e-3;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    checkNonNegative('sgd', 'lr', this.lr);
    checkNonNegative('sgd', 'momentum', this.momentum);
    checkNonNegative('sgd', 'dampening', this.dampening);
    checkNonNegative('sgd', 'weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new InvalidArgumentError('sgd: Nesterov momentum requires momentum > 0 and dampening 0');
    }
    this.hp = {
      lr: this.lr,
      momentum: this.momentum,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov,
      step: 1,
    };
  }

  step(): void {
    this.steps++;
    this.hp.lr = this.lr;
    this.hp.step = this.steps;
    if (this.arena !== null) {
      this.backend.sgd(this.arena.values, this.arena.grads, this.flatSlots.momentum, this.hp);
      return;
    }
    const buffers = this.slots.momentum;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      this.backend.sgd(p.value, p.grad, buffers[i], this.hp);
    }
  }
}
