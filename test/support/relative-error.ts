/** How far one array of numbers is from another, relative to their scale: the one definition the tests share. */

export interface RelativeErrorOptions {
  /**
   * - 'max' (default): max_i |actual_i - expected_i| / max_i |expected_i|, or the plain max
   *   difference when `expected` is all zeros. Per tensor and scale-aware: an element near zero
   *   is judged against the tensor's largest value, not its own. `expected` is the reference.
   * - 'l2': ||actual - expected|| / max(||actual|| + ||expected||, 1e-12), the usual
   *   gradient-check measure (symmetric in its arguments).
   */
  norm?: 'max' | 'l2';
}

/** The relative error of `actual` against `expected` (see RelativeErrorOptions); NaN anywhere gives NaN. Throws when the lengths differ. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, options: RelativeErrorOptions = {}): number {
  if (actual.length !== expected.length) throw new Error(`relativeError: length ${actual.length} != ${expected.length}`);
  if (options.norm === 'l2') {
    let diff = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < actual.length; i++) {
      diff += (actual[i] - expected[i]) ** 2;
      na += actual[i] ** 2;
      nb += expected[i] ** 2;
    }
    return Math.sqrt(diff) / Math.max(Math.sqrt(na) + Math.sqrt(nb), 1e-12);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
