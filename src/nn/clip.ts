/** Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_), recorded on the backend with no readback. */
import type { Backend, Tensor } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { Parameter } from './parameter.js';
import { arenaOf, type ParameterArena } from './parameter-arena.js';

const OVERWRITE = { accumulate: false } as const;
const ACCUMULATE = { accumulate: true } as const;

export class GradNormClipper {
  /** Sum of squares of every gradient at the latest measure() or clip() (before clipping), (1, 1). */
  readonly sumSquares: Tensor;
  private readonly arena: ParameterArena | null;
  /** The clipping part of a fused Adam step (AdamFusion.clip), kept so a step allocates nothing. */
  private readonly fusionPart: { sumSquares: Tensor; maxNorm: number };

  constructor(
    private readonly backend: Backend,
    private readonly params: readonly Parameter[],
    public maxNorm: number,
  ) {
    if (!(maxNorm > 0)) throw new InvalidArgumentError(`GradNormClipper: maxNorm must be positive, got ${maxNorm}`);
    this.sumSquares = backend.tensor([1, 1], undefined, 'grad.sumSquares');
    this.arena = arenaOf(params);
    this.fusionPart = { sumSquares: this.sumSquares, maxNorm };
  }

  /** Sums the squares of every gradient into sumSquares (one op over the arena when there is one). */
  measure(): void {
    if (this.arena !== null) {
      this.backend.sumSquares(this.arena.grads, this.sumSquares, OVERWRITE);
      return;
    }
    const params = this.params;
    for (let i = 0; i < params.length; i++) this.backend.sumSquares(params[i].grad, this.sumSquares, i > 0 ? ACCUMULATE : OVERWRITE);
  }

  /** Scales every gradient by min(1, maxNorm / (total norm + 1e-6)). */
  clip(): void {
    this.measure();
    if (this.arena !== null) {
      this.backend.clipByGlobalNorm(this.arena.grads, this.sumSquares, this.maxNorm);
      return;
    }
    const params = this.params;
    for (let i = 0; i < params.length; i++) this.backend.clipByGlobalNorm(params[i].grad, this.sumSquares, this.maxNorm);
  }

  /** After measure(): the clipping to fuse into an Adam step (AdamFusion.clip), instead of clip(). */
  fusion(): { sumSquares: Tensor; maxNorm: number } {
    this.fusionPart.maxNorm = this.maxNorm;
    return this.fusionPart;
  }

  /** The total gradient norm before the latest clip() (a readback on WebGPU). */
  async readNorm(): Promise<number> {
    return Math.sqrt((await this.backend.read(this.sumSquares))[0]);
  }

  dispose(): void {
    this.sumSquares.dispose();
  }
}
