/**
 * Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011; the Random123 library), the counter-based generator of the device envs: a pure function
 * of a 128-bit counter and a 64-bit key, so every env draws its own stream with no state but a
 * counter, and the CPU (this file) and WGSL (shaders/philox.wgsl) compute the same bits.
 *
 * Only 32-bit integer arithmetic is used: WGSL has u32 but no u64, so the 32x32 -> 64 multiply is
 * done with 16-bit halves (`mulhi32`), the same decomposition on both sides.
 *
 * The device envs' stream (what `deviceRngBlock` computes):
 *   key     = (seed mod 2^32, floor(seed / 2^32))       the run's seed, a safe non-negative integer
 *   counter = (c, env, stream, j)                        c the env's draw counter, env its index
 *   block   = Philox4x32-10(counter, key)                four u32
 * `stream` separates uses: 0 is env resets, 1 acting (DEVICE_RNG_STREAMS): epsilonGreedy, or
 * policySample, whose row draws blocks j = 0, 1, ... (every other use takes block j = 0 only). A u32 becomes a float in [0, 1) as
 * (u >>> 8) * 2^-24 (its top 24 bits, exact in float32: 2^24 values, the largest 1 - 2^-24), and an
 * integer below n as floor(u n / 2^32) = mulhi32(u, n) (bias at most n / 2^32, no rejection loop).
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 0x100000000;

/** What each value of the counter's third word draws for (see the module comment). */
export const DEVICE_RNG_STREAMS = { reset: 0, act: 1 } as const;

/** The high 32 bits of the 64-bit product of two u32, from 16-bit halves (as shaders/philox.wgsl). */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  // Each product is below 2^32; the middle sum below 3 * 2^16.
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32-10 of counter (c0, c1, c2, c3) and key (k0, k1), every argument a u32, into out[0..4)
 * (Random123's philox4x32_R(10, ctr, key): ten rounds, the key bumped by the Weyl constants
 * between them).
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

/** The key words of a run's seed (a safe non-negative integer): [seed mod 2^32, floor(seed / 2^32)]. */
export function seedKey(seed: number): [number, number] {
  return [seed % TWO_POW_32 >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
}

/** The block of draw `counter` of env `env` on `stream` for a run's seed (see the module comment). */
export function deviceRngBlock(seed: number, env: number, counter: number, stream: number, out: Uint32Array): Uint32Array {
  const [k0, k1] = seedKey(seed);
  return philox4x32(counter, env, stream, 0, k0, k1, out);
}

/** A u32 as a float in [0, 1): its top 24 bits times 2^-24, exact in float32 (as shaders/philox.wgsl). */
export function uniformFromBits(u: number): number {
  return (u >>> 8) * 2 ** -24;
}

/** A u32 as an integer in [0, n) for 1 <= n < 2^32: floor(u n / 2^32) (as shaders/philox.wgsl). */
export function belowFromBits(u: number, n: number): number {
  return mulhi32(u >>> 0, n >>> 0);
}
