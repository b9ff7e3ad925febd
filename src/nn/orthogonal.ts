/**
 * The Q factor of a thin QR decomposition, for the `orthogonal` initialiser (init.ts).
 *
 * Gram-Schmidt, modified and run twice per column ("twice is enough", Giraud et al. 2005): the
 * columns come out orthonormal to float64 rounding for any full-rank matrix a random draw gives,
 * and R's diagonal (each column's remaining norm) is positive by construction, which is the sign
 * convention torch's `orthogonal_` imposes on Householder's QR (q *= sign(diag(r))). The thin QR
 * with a positive diagonal is unique, so this Q is that one.
 */
import { InvalidArgumentError } from '../errors.js';

/** Q (rows, cols), row-major, with orthonormal columns spanning those of `a` (rows, cols), rows >= cols. */
export function orthonormalColumns(a: Float64Array, rows: number, cols: number): Float64Array {
  if (rows < cols) throw new InvalidArgumentError(`orthonormalColumns: needs rows >= cols, got (${rows}, ${cols})`);
  const q = Float64Array.from(a);
  for (let j = 0; j < cols; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += q[r * cols + k]! * q[r * cols + j]!;
        for (let r = 0; r < rows; r++) q[r * cols + j]! -= dot * q[r * cols + k]!;
      }
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += q[r * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new InvalidArgumentError(`orthonormalColumns: column ${j} is a combination of the ones before it`);
    for (let r = 0; r < rows; r++) q[r * cols + j]! /= norm;
  }
  return q;
}
