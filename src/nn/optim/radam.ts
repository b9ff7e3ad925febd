/** RAdam (torch.optim.RAdam): Adam with its adaptive step rectified, and plain momentum while rho_t <= 5. */
import type { Backend } from '../../backend/backend.js';
import type { Parameter } from '../parameter.js';
import { ADAM_DEFAULTS, AdamFamily, type AdamOptions } from './adam.js';

/** torch.optim.RAdam takes Adam's options, with the same meaning (decoupledWeightDecay included). */
export type RAdamOptions = AdamOptions;

/** What an option left out of RAdamOptions is: torch.optim.RAdam's defaults, which are Adam's. */
export const RADAM_DEFAULTS: Readonly<Required<RAdamOptions>> = ADAM_DEFAULTS;

/** One step is the backend's radam op (over the arena, with the same fusions as Adam's step). */
export class RAdam extends AdamFamily {
  constructor(backend: Backend, params: readonly Parameter[], options: RAdamOptions = {}) {
    super(backend, params, 'radam', options);
  }
}
