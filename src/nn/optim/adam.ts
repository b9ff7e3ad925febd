/** Adam (torch.optim.Adam) and AdamW (decoupledWeightDecay), bias-corrected. */
import type { AdamFusion, AdamHyperParameters, Backend } from '../../backend/backend.js';
import { InvalidArgumentError } from '../../errors.js';
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

/** What an option left out of AdamOptions is: torch.optim.Adam's defaults. */
export const ADAM_DEFAULTS: Readonly<Required<AdamOptions>> = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
};

/**
 * What Adam and RAdam share: torch's options (the same for both), the moments m and v, and a step
 * that is one op over a ParameterArena (with clipping and a Polyak update fused) or one per parameter.
 */
export abstract class AdamFamily extends SlotOptimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupledWeightDecay: boolean;
  private readonly hp: AdamHyperParameters;

  protected constructor(backend: Backend, params: readonly Parameter[], private readonly op: 'adam' | 'radam', options: AdamOptions) {
    super(backend, params, op, ['m', 'v']);
    this.lr = options.lr ?? ADAM_DEFAULTS.lr;
    this.beta1 = options.beta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = options.beta2 ?? ADAM_DEFAULTS.beta2;
    this.eps = options.eps ?? ADAM_DEFAULTS.eps;
    this.weightDecay = options.weightDecay ?? ADAM_DEFAULTS.weightDecay;
    this.decoupledWeightDecay = options.decoupledWeightDecay ?? ADAM_DEFAULTS.decoupledWeightDecay;
    checkNonNegative(op, 'lr', this.lr);
    checkUnitInterval(op, 'beta1', this.beta1);
    checkUnitInterval(op, 'beta2', this.beta2);
    checkNonNegative(op, 'eps', this.eps);
    checkNonNegative(op, 'weightDecay', this.weightDecay);
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

  /**
   * One update of every parameter from its current grad: one op over the arena when the parameters
   * fill one (`fusion` then adds gradient clipping before and a Polyak target update after, in the
   * same op), else one op per parameter.
   */
  step(fusion?: AdamFusion): void {
    this.steps++;
    this.hp.lr = this.lr;
    this.hp.step = this.steps;
    const backend = this.backend;
    const op = this.op;
    if (this.arena !== null) {
      backend[op](this.arena.values, this.arena.grads, this.flatSlots.m, this.flatSlots.v, this.hp, fusion);
      return;
    }
    if (fusion !== undefined && ((fusion.clip ?? null) !== null || (fusion.polyak ?? null) !== null)) {
      throw new InvalidArgumentError(`${op}: a fused step needs parameters that fill one ParameterArena`);
    }
    const m = this.slots.m;
    const v = this.slots.v;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      backend[op](p.value, p.grad, m[i], v[i], this.hp);
    }
  }

  /** Whether step() runs as one op over a ParameterArena (and so can fuse clipping and a Polyak update). */
  get fused(): boolean {
    return this.arena !== null;
  }
}

export class Adam extends AdamFamily {
  constructor(backend: Backend, params: readonly Parameter[], options: AdamOptions = {}) {
    super(backend, params, 'adam', options);
  }
}
