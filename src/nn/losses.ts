/** Losses over backend.loss, with cached gradient buffers per prediction shape. */
import { LOSSES, type Backend, type LossKind, type LossOptions, type Tensor } from '../backend/backend.js';
import { InvalidArgumentError, checkName } from '../errors.js';

export { LOSSES, type LossKind };

/** Checks a loss name (UnknownNameError listing the valid ones). */
export function checkLoss(name: string): LossKind {
  return checkName('loss', name, LOSSES);
}

/**
 * A loss function bound to a backend: `forward(pred, target)` writes the value (a (1, 1) tensor,
 * `value`) and the gradient d loss / d pred (`grad`, cached per shape), both owned by the Loss.
 *
 * - `mse`: mean squared error over all elements (torch.nn.MSELoss);
 * - `huber`: torch.nn.HuberLoss(delta), mean over all elements;
 * - `softmax_cross_entropy`: logits and target distributions (torch.nn.CrossEntropyLoss with
 *   probabilities as targets), mean over rows;
 * - `cross_entropy`: predicted probabilities, -mean_rows sum t log(max(p, eps)).
 */
export class Loss {
  readonly kind: LossKind;
  /** The loss of the latest forward, (1, 1). */
  readonly value: Tensor;
  private readonly options: LossOptions;
  private readonly grads = new Map<string, Tensor>();
  private lastGrad: Tensor | null = null;
  /** The gradient buffer handed out last, for a lookup without a string key. */
  private recentGrad: Tensor | null = null;

  constructor(
    private readonly backend: Backend,
    kind: LossKind | string,
    options: LossOptions = {},
  ) {
    this.kind = checkLoss(kind);
    this.options = { ...options };
    this.value = backend.tensor([1, 1], undefined, `${this.kind}.loss`);
  }

  /** Computes the loss (into `value`) and, unless `withGrad` is false, d loss / d pred (returned by `grad`). */
  forward(pred: Tensor, target: Tensor, withGrad = true): Tensor {
    const grad = withGrad ? this.gradFor(pred) : null;
    this.backend.loss(this.kind, pred, target, this.value, grad, this.options);
    if (grad !== null) this.lastGrad = grad;
    return this.value;
  }

  /** d loss / d pred of the latest forward with a gradient. */
  get grad(): Tensor {
    if (this.lastGrad === null) throw new InvalidArgumentError(`${this.kind}: no gradient computed yet`);
    return this.lastGrad;
  }

  /** Reads the latest loss value (a readback on WebGPU). */
  async read(): Promise<number> {
    return (await this.backend.read(this.value))[0];
  }

  dispose(): void {
    this.value.dispose();
    for (const t of this.grads.values()) t.dispose();
    this.grads.clear();
    this.lastGrad = null;
    this.recentGrad = null;
  }

  private gradFor(pred: Tensor): Tensor {
    const recent = this.recentGrad;
    if (recent !== null && recent.rows === pred.rows && recent.cols === pred.cols) return recent;
    const key = `${pred.rows}x${pred.cols}`;
    let g = this.grads.get(key);
    if (g === undefined) {
      g = this.backend.tensor([pred.rows, pred.cols], undefined, `${this.kind}.grad`);
      this.grads.set(key, g);
    }
    this.recentGrad = g;
    return g;
  }
}
