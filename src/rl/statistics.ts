/** Summary statistics of episode returns. */

/** Mean and population standard deviation (NumPy's np.mean, np.std) of episode returns. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) };
}

/** The returns of the latest `window` episodes (100, as Gymnasium's solve criterion) and their mean. */
export class RecentReturns {
  private readonly returns: number[] = [];

  constructor(readonly window = 100) {}

  push(episodeReturn: number): void {
    this.returns.push(episodeReturn);
    if (this.returns.length > this.window) this.returns.shift();
  }

  /** Mean of the stored returns (NaN before the first). */
  get mean(): number {
    const r = this.returns;
    return r.length === 0 ? Number.NaN : r.reduce((a, b) => a + b, 0) / r.length;
  }

  /** A copy, oldest first. */
  values(): number[] {
    return [...this.returns];
  }

  /** Replaces the stored returns (oldest first), keeping the latest `window`. */
  setValues(values: readonly number[]): void {
    this.returns.splice(0, this.returns.length, ...values.slice(-this.window));
  }
}
