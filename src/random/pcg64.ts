/**
 * NumPy's PCG64 bit generator (pcg_setseq_128_xsl_rr_64): a 128-bit LCG
 * `state = state * MULT + inc (mod 2^128)` whose output is the XSL-RR permutation of the new
 * state (the state is advanced first, then output). Seeded from a SeedSequence exactly as
 * `numpy.random.PCG64(seed)`.
 *
 * Speed: the state lives in eight 16-bit limbs held in plain Numbers, so the 128-bit
 * multiply-add is 36 exact double multiplications (16x16-bit products and their column sums
 * stay far below 2^53); BigInt appears only in state import/export.
 */
import { SeedSequence } from './seed-sequence.js';

const MASK128 = (1n << 128n) - 1n;
/** PCG_DEFAULT_MULTIPLIER_128. */
export const PCG64_MULTIPLIER = (2549297995355413924n << 64n) + 4865540595714422341n;

const M0 = 0xf645, M1 = 0x9fcc, M2 = 0xdf64, M3 = 0x4385, M4 = 0x5da4, M5 = 0x1fc6, M6 = 0xed05, M7 = 0x2360;
const TWO_POW_M53 = 2 ** -53;
const TWO_POW_21 = 2 ** 21;

/** NumPy's `PCG64.state` dict, with the 128-bit values as decimal strings so it survives JSON. */
export interface Pcg64State {
  bitGenerator: 'PCG64';
  /** 128-bit LCG state, decimal. */
  state: string;
  /** 128-bit odd increment, decimal. */
  inc: string;
  /** 1 when a buffered upper 32-bit half is waiting (NumPy's next_uint32 buffering). */
  hasUint32: number;
  /** The buffered uint32. */
  uinteger: number;
}

/** NumPy-compatible PCG64. */
export class Pcg64 {
  // 16-bit limbs of the state (s0 least significant) and of the increment.
  private s0 = 0; private s1 = 0; private s2 = 0; private s3 = 0;
  private s4 = 0; private s5 = 0; private s6 = 0; private s7 = 0;
  private c0 = 0; private c1 = 0; private c2 = 0; private c3 = 0;
  private c4 = 0; private c5 = 0; private c6 = 0; private c7 = 0;
  private hasUint32 = 0;
  private uinteger = 0;
  /** High 32 bits (unsigned) of the last value produced by `next64`. */
  hi = 0;
  /** Low 32 bits (unsigned) of the last value produced by `next64`. */
  lo = 0;

  /** `numpy.random.PCG64(seed)`: seeded through `SeedSequence(seed).generate_state(4, uint64)`. */
  constructor(seed: number | SeedSequence = 0) {
    const seq = typeof seed === 'number' ? new SeedSequence(seed) : seed;
    const [s0, s1, i0, i1] = seq.generateState64(4);
    this.seed((s0 << 64n) | s1, (i0 << 64n) | i1);
  }

  /** pcg_setseq_128_srandom_r: state = 0, inc = seq*2+1, step, state += initState, step. */
  seed(initState: bigint, initSeq: bigint): void {
    const inc = ((initSeq << 1n) | 1n) & MASK128;
    let state = (inc) & MASK128; // 0 * MULT + inc
    state = (state + initState) & MASK128;
    state = (state * PCG64_MULTIPLIER + inc) & MASK128;
    this.setRaw(state, inc);
    this.hasUint32 = 0;
    this.uinteger = 0;
  }

  /** Advances the LCG one step (mod 2^128). */
  private step(): void {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3, s4 = this.s4, s5 = this.s5, s6 = this.s6, s7 = this.s7;
    let r = s0 * M0 + this.c0;
    let carry = Math.floor(r * (1 / 65536));
    this.s0 = r - carry * 65536;
    r = s0 * M1 + s1 * M0 + this.c1 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s1 = r - carry * 65536;
    r = s0 * M2 + s1 * M1 + s2 * M0 + this.c2 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s2 = r - carry * 65536;
    r = s0 * M3 + s1 * M2 + s2 * M1 + s3 * M0 + this.c3 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s3 = r - carry * 65536;
    r = s0 * M4 + s1 * M3 + s2 * M2 + s3 * M1 + s4 * M0 + this.c4 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s4 = r - carry * 65536;
    r = s0 * M5 + s1 * M4 + s2 * M3 + s3 * M2 + s4 * M1 + s5 * M0 + this.c5 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s5 = r - carry * 65536;
    r = s0 * M6 + s1 * M5 + s2 * M4 + s3 * M3 + s4 * M2 + s5 * M1 + s6 * M0 + this.c6 + carry;
    carry = Math.floor(r * (1 / 65536));
    this.s6 = r - carry * 65536;
    r = s0 * M7 + s1 * M6 + s2 * M5 + s3 * M4 + s4 * M3 + s5 * M2 + s6 * M1 + s7 * M0 + this.c7 + carry;
    this.s7 = r & 0xffff;
  }

  /** Produces the next uint64 into `this.hi` / `this.lo` (unsigned 32-bit halves). */
  next64(): void {
    this.step();
    // XSL-RR: (high64 ^ low64) rotated right by the top 6 bits of the state.
    const xh = ((this.s7 << 16) | this.s6) ^ ((this.s3 << 16) | this.s2);
    const xl = ((this.s5 << 16) | this.s4) ^ ((this.s1 << 16) | this.s0);
    const rot = this.s7 >>> 10;
    if (rot === 0) {
      this.hi = xh >>> 0;
      this.lo = xl >>> 0;
    } else if (rot < 32) {
      this.hi = ((xh >>> rot) | (xl << (32 - rot))) >>> 0;
      this.lo = ((xl >>> rot) | (xh << (32 - rot))) >>> 0;
    } else if (rot === 32) {
      this.hi = xl >>> 0;
      this.lo = xh >>> 0;
    } else {
      const k = rot - 32;
      this.hi = ((xl >>> k) | (xh << (32 - k))) >>> 0;
      this.lo = ((xh >>> k) | (xl << (32 - k))) >>> 0;
    }
  }

  /** The next uint64 as a BigInt (convenient, not fast). */
  nextUint64(): bigint {
    this.next64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** NumPy's `next_double`: (u64 >> 11) * 2^-53, in [0, 1). */
  nextDouble(): number {
    this.next64();
    return (this.hi * TWO_POW_21 + (this.lo >>> 11)) * TWO_POW_M53;
  }

  /** NumPy's buffered `next_uint32`: low half of a fresh uint64 first, its high half on the next call. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = 0;
      return this.uinteger;
    }
    this.next64();
    this.hasUint32 = 1;
    this.uinteger = this.hi;
    return this.lo;
  }

  /** The state as NumPy reports it (`bit_generator.state`), JSON-safe. */
  getState(): Pcg64State {
    return {
      bitGenerator: 'PCG64',
      state: this.rawState().toString(),
      inc: this.rawInc().toString(),
      hasUint32: this.hasUint32,
      uinteger: this.uinteger,
    };
  }

  /** Restores a state from `getState`. */
  setState(state: Pcg64State): void {
    this.setRaw(BigInt(state.state), BigInt(state.inc));
    this.hasUint32 = state.hasUint32 ? 1 : 0;
    this.uinteger = state.uinteger >>> 0;
  }

  /** The 128-bit LCG state. */
  rawState(): bigint {
    return limbsToBig([this.s0, this.s1, this.s2, this.s3, this.s4, this.s5, this.s6, this.s7]);
  }

  /** The 128-bit increment. */
  rawInc(): bigint {
    return limbsToBig([this.c0, this.c1, this.c2, this.c3, this.c4, this.c5, this.c6, this.c7]);
  }

  private setRaw(state: bigint, inc: bigint): void {
    const s = bigToLimbs(state & MASK128);
    const c = bigToLimbs(inc & MASK128);
    [this.s0, this.s1, this.s2, this.s3, this.s4, this.s5, this.s6, this.s7] = s;
    [this.c0, this.c1, this.c2, this.c3, this.c4, this.c5, this.c6, this.c7] = c;
  }
}

function bigToLimbs(v: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  return out;
}

function limbsToBig(limbs: readonly number[]): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 16n) | BigInt(limbs[i]);
  return v;
}
