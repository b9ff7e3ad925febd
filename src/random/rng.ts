/**
 * `Rng`: the project-wide seeded generator (weight init, replay sampling, exploration, env resets).
 * `new Rng(seed)` is `numpy.random.default_rng(seed)`: SeedSequence -> PCG64, and `random()`,
 * `uniform()` and `integers()` return exactly what NumPy's Generator returns for the same seed
 * and call sequence.
 *
 * `normal()` uses Marsaglia's polar method with one cached deviate, exactly as NumPy's legacy
 * `RandomState.standard_normal` (`legacy_gauss`), so `RandomState(PCG64(seed)).standard_normal()`
 * gives the same values (up to 1 ulp where V8's `Math.log` and glibc's `log` differ). It does NOT
 * match `Generator.normal`, which uses a table-driven ziggurat. It needs only `+ - * /`, `sqrt`
 * and `log`, so results are reproducible across V8 hosts (Node and Chrome share V8's fdlibm log).
 */
import { InvalidArgumentError } from '../errors.js';
import { Pcg64, type Pcg64State } from './pcg64.js';
import { SeedSequence } from './seed-sequence.js';

const TWO_POW_32 = 0x100000000;

/** A JSON-serialisable snapshot of an `Rng`, including the cached normal deviate. */
export interface RngState {
  bitGenerator: Pcg64State;
  /** 1 when `gauss` holds the second deviate of the last polar-method pair. */
  hasGauss: number;
  gauss: number;
}

/** NumPy-compatible seeded generator (PCG64). */
export class Rng {
  /** The underlying bit generator (exposed for fast raw draws). */
  readonly bitGenerator: Pcg64;
  private readonly seedSequence: SeedSequence | undefined;
  private hasGauss = 0;
  private gauss = 0;

  /** Same stream as `numpy.random.default_rng(seed)`; `seed` is a non-negative safe integer or a SeedSequence. */
  constructor(seed: number | SeedSequence) {
    this.seedSequence = typeof seed === 'number' ? new SeedSequence(seed) : seed;
    this.bitGenerator = new Pcg64(this.seedSequence);
  }

  /** A float64 in [0, 1): NumPy's `Generator.random()`. */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `low + (high - low) * random()`: NumPy's `Generator.uniform(low, high)`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.bitGenerator.nextDouble();
  }

  /**
   * An integer in [0, n), n a positive integer <= 2^32: NumPy's `Generator.integers(0, n)` (int64).
   * NumPy's 32-bit path: n = 1 draws nothing, n = 2^32 returns one buffered uint32, otherwise
   * Lemire's bounded multiply with rejection on buffered uint32s (each uint64 gives two).
   */
  integers(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new InvalidArgumentError(`integers(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    }
    if (n === 1) return 0;
    const bg = this.bitGenerator;
    if (n === TWO_POW_32) return bg.nextUint32();
    // m = u * n as a 64-bit product; leftover = low 32 bits; result = high 32 bits.
    let u = bg.nextUint32();
    let leftover = Math.imul(u, n) >>> 0;
    if (leftover < n) {
      const threshold = (TWO_POW_32 - n) % n;
      while (leftover < threshold) {
        u = bg.nextUint32();
        leftover = Math.imul(u, n) >>> 0;
      }
    }
    const uh = u >>> 16;
    const ul = u & 0xffff;
    return Math.floor((uh * n + Math.floor((ul * n) / 65536)) / 65536);
  }

  /** A normal deviate (Marsaglia polar method, one cached; see the class comment). */
  normal(mean = 0, std = 1): number {
    return mean + std * this.standardNormal();
  }

  /** A standard normal deviate; the polar method of NumPy's `legacy_gauss`. */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = 0;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    const bg = this.bitGenerator;
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2.0 * bg.nextDouble() - 1.0;
      x2 = 2.0 * bg.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = 1;
    return f * x2;
  }

  /** Fills `out` with `uniform(low, high)` draws in index order (Float32Array rounds each value). */
  fillUniform(out: Float32Array | Float64Array, low: number, high: number): void {
    const bg = this.bitGenerator;
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * bg.nextDouble();
  }

  /** Fills `out` with `normal(mean, std)` draws in index order. */
  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.standardNormal();
  }

  /** A JSON-serialisable snapshot (bit generator state plus the cached normal). */
  getState(): RngState {
    return { bitGenerator: this.bitGenerator.getState(), hasGauss: this.hasGauss, gauss: this.gauss };
  }

  /** Restores a snapshot from `getState`. */
  setState(state: RngState): void {
    this.bitGenerator.setState(state.bitGenerator);
    this.hasGauss = state.hasGauss ? 1 : 0;
    this.gauss = state.gauss;
  }

  /** A generator positioned at `state`. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** `n` independent child generators, as NumPy's `Generator.spawn(n)` (SeedSequence spawn keys). */
  spawn(n: number): Rng[] {
    const seq = this.seedSequence ?? new SeedSequence(0);
    return seq.spawn(n).map((child) => new Rng(child));
  }
}
