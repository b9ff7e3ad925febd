/** Tensors cached per batch size, so forward/backward allocate nothing after the first call of a size. */
import type { Backend, Tensor } from '../backend/backend.js';

export class BatchBuffers {
  private readonly cache = new Map<number, Tensor>();

  constructor(
    private readonly backend: Backend,
    private readonly cols: number,
    private readonly label: string,
  ) {}

  /** The (batch, cols) tensor for this batch size. */
  get(batch: number): Tensor {
    let t = this.cache.get(batch);
    if (t === undefined) {
      t = this.backend.tensor([batch, this.cols], undefined, `${this.label}[${batch}]`);
      this.cache.set(batch, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}
