/**
 * NumPy's `SeedSequence` (numpy/random/bit_generator.pyx), reduced to what the engine needs:
 * an integer entropy (plus an optional spawn key) hashed into a pool of four uint32 words,
 * and `generateState` expanding the pool into seed words. All arithmetic is uint32, done with
 * `Math.imul` and `>>> 0`, so the output equals NumPy's bit for bit.
 */
import { InvalidArgumentError } from '../errors.js';

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
/** NumPy's DEFAULT_POOL_SIZE (in uint32 words). */
export const POOL_SIZE = 4;

/** Splits a non-negative safe integer into little-endian uint32 words (0 gives [0]), as NumPy's `_coerce_to_uint32_array`. */
export function intToUint32Words(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`seed must be a non-negative safe integer, got ${value}`);
  }
  const words: number[] = [];
  let v = value;
  do {
    words.push(v % 0x100000000);
    v = Math.floor(v / 0x100000000);
  } while (v > 0);
  return words;
}

/** NumPy's SeedSequence for an integer entropy and optional spawn key. */
export class SeedSequence {
  /** The mixed entropy pool: four uint32 words. */
  readonly pool: Uint32Array;
  /** The entropy this sequence was built from. */
  readonly entropy: number;
  /** The spawn key (child indices), empty for a root sequence. */
  readonly spawnKey: readonly number[];
  private childrenSpawned = 0;

  constructor(entropy: number, spawnKey: readonly number[] = []) {
    this.entropy = entropy;
    this.spawnKey = [...spawnKey];
    const run = intToUint32Words(entropy);
    const spawn = this.spawnKey.flatMap((k) => intToUint32Words(k));
    if (spawn.length > 0) while (run.length < POOL_SIZE) run.push(0);
    this.pool = mixEntropy(run.concat(spawn));
  }

  /** `generate_state(nWords, uint32)`: `nWords` uint32 words. */
  generateState32(nWords: number): Uint32Array {
    const out = new Uint32Array(nWords);
    let hashConst = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let v = this.pool[i % POOL_SIZE] ^ hashConst;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      v = Math.imul(v, hashConst) >>> 0;
      v = (v ^ (v >>> XSHIFT)) >>> 0;
      out[i] = v;
    }
    return out;
  }

  /** `generate_state(nWords, uint64)` as BigInts (each word = low uint32 + high uint32 << 32). */
  generateState64(nWords: number): bigint[] {
    const w = this.generateState32(2 * nWords);
    const out: bigint[] = [];
    for (let i = 0; i < nWords; i++) out.push((BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]));
    return out;
  }

  /** Child sequences with spawn keys `[...spawnKey, k]`, continuing the child counter as NumPy's `spawn`. */
  spawn(n: number): SeedSequence[] {
    const children: SeedSequence[] = [];
    for (let i = 0; i < n; i++) children.push(new SeedSequence(this.entropy, [...this.spawnKey, this.childrenSpawned + i]));
    this.childrenSpawned += n;
    return children;
  }
}

function mixEntropy(entropy: readonly number[]): Uint32Array {
  const mixer = new Uint32Array(POOL_SIZE);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> XSHIFT)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> XSHIFT)) >>> 0;
  };
  for (let i = 0; i < POOL_SIZE; i++) mixer[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) mixer[dst] = mix(mixer[dst], hashmix(mixer[src]));
    }
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) mixer[dst] = mix(mixer[dst], hashmix(entropy[src]));
  }
  return mixer;
}
