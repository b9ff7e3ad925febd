/** Seeded, NumPy-compatible random numbers: SeedSequence, PCG64 and the project-wide `Rng`. */
export { SeedSequence, intToUint32Words, POOL_SIZE } from './seed-sequence.js';
export { Pcg64, PCG64_MULTIPLIER, type Pcg64State } from './pcg64.js';
export { Rng, type RngState } from './rng.js';
export { philox4x32, mulhi32, seedKey, deviceRngBlock, uniformFromBits, belowFromBits, DEVICE_RNG_STREAMS } from './philox.js';
