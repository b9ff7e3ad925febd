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

/**
 * Views of the first rows of tensors, cached, so a backward pass that differentiates only the
 * first B rows of a forward over more (DQN forwards Q(s) and Q(s') together) allocates nothing
 * after the first time.
 */
export class PrefixViews {
  private readonly cache = new Map<Tensor, Map<number, Tensor>>();

  constructor(private readonly backend: Backend) {}

  /** The first `rows` rows of t (t itself when it has exactly that many). */
  of(t: Tensor, rows: number): Tensor {
    if (t.rows === rows) return t;
    let byRows = this.cache.get(t);
    if (byRows === undefined) {
      byRows = new Map();
      this.cache.set(t, byRows);
    }
    let view = byRows.get(rows);
    if (view === undefined) {
      view = this.backend.view(t, 0, [rows, t.cols], `${t.label}[:${rows}]`);
      byRows.set(rows, view);
    }
    return view;
  }

  clear(): void {
    this.cache.clear();
  }
}
