/** RAdam (torch.optim.RAdam): Adam with its adaptive step rectified, and plain momentum while rho_t <= 5. */
import type { Backend } from '../../backend/backend.js';
import type { Parameter } from '../parameter.js';
import { AdamFamily, type AdamOptions } from './adam.js';

/**
 * torch.optim.RAdam takes Adam's options, with the same meaning (decoupledWeightDecay included) and
 * the same defaults (ADAM_DEFAULTS: lr 1e-3, betas 0.9 and 0.999, eps 1e-8, no weight decay).
 */
export type RAdamOptions = AdamOptions;

/** One step is the backend's radam op (over the arena, with the same fusions as Adam's step). */
export class RAdam extends AdamFamily {
  constructor(backend: Backend, params: readonly Parameter[], options: RAdamOptions = {}) {
    super(backend, params, 'radam', options);
  }
}
