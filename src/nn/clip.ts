/** Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_), recorded on the backend with no readback. */
import type { Backend, Tensor } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { Parameter } from './parameter.js';

const OVERWRITE = { accumulate: false } as const;
const ACCUMULATE = { accumulate: true } as const;

export class GradNormClipper {
  /** Sum of squares of every gradient at the latest clip() (before clipping), (1, 1). */
  readonly sumSquares: Tensor;

  constructor(
    private readonly backend: Backend,
    private readonly params: readonly Parameter[],
    public maxNorm: number,
  ) {
    if (!(maxNorm > 0)) throw new InvalidArgumentError(`GradNormClipper: maxNorm must be positive, got ${maxNorm}`);
    this.sumSquares = backend.tensor([1, 1], undefined, 'grad.sumSquares');
  }

  /** Scales every gradient by min(1, maxNorm / (total norm + 1e-6)). */
  clip(): void {
    const params = this.params;
    for (let i = 0; i < params.length; i++) this.backend.sumSquares(params[i].grad, this.sumSquares, i > 0 ? ACCUMULATE : OVERWRITE);
    for (let i = 0; i < params.length; i++) this.backend.clipByGlobalNorm(params[i].grad, this.sumSquares, this.maxNorm);
  }

  /** The total gradient norm before the latest clip() (a readback on WebGPU). */
  async readNorm(): Promise<number> {
    return Math.sqrt((await this.backend.read(this.sumSquares))[0]);
  }

  dispose(): void {
    this.sumSquares.dispose();
  }
}
