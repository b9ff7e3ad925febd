/** Adam (torch.optim.Adam) and AdamW (decoupledWeightDecay), bias-corrected. */
import type { AdamHyperParameters, Backend } from '../../backend/backend.js';
import type { Parameter } from '../parameter.js';
import { SlotOptimizer, checkNonNegative, checkUnitInterval } from './optimizer.js';

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Default 0: L2 added to the gradient, or decoupled decay with `decoupledWeightDecay`. */
  weightDecay?: number;
  /** AdamW: p *= 1 - lr weightDecay before the Adam step (default false). */
  decoupledWeightDecay?: boolean;
}

export class Adam extends SlotOptimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupledWeightDecay: boolean;
  private readonly hp: AdamHyperParameters;

  constructor(backend: Backend, params: readonly Parameter[], options: AdamOptions = {}) {
    super(backend, params, 'adam', ['m', 'v']);
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.decoupledWeightDecay = options.decoupledWeightDecay ?? false;
    checkNonNegative('adam', 'lr', this.lr);
    checkUnitInterval('adam', 'beta1', this.beta1);
    checkUnitInterval('adam', 'beta2', this.beta2);
    checkNonNegative('adam', 'eps', this.eps);
    checkNonNegative('adam', 'weightDecay', this.weightDecay);
    this.hp = {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decoupledWeightDecay: this.decoupledWeightDecay,
      step: 1,
    };
  }

  /** One update of every parameter from its current grad. */
  step(): void {
    this.steps++;
    this.hp.lr = this.lr;
    this.hp.step = this.steps;
    const m = this.slots.m;
    const v = this.slots.v;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      this.backend.adam(p.value, p.grad, m[i], v[i], this.hp);
    }
  }
}
