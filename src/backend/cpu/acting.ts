/**
 * Acting on the device, on the CPU: epsilonGreedy (see EpsilonGreedyOf in backend.ts) over the
 * storage arrays, one loop iteration per env, the same computation as shaders/epsilon-greedy.wgsl.
 * Every value it compares is exact (a 24-bit uniform, epsilon rounded to float32, Q as stored), so
 * both backends choose the same actions from the same Q bits.
 */
import type { FloatArray } from '../backend.js';
import type { EpsilonGreedyCall } from '../backend-base.js';
import { DEVICE_RNG_STREAMS, belowFromBits, philox4x32, seedKey, uniformFromBits } from '../../random/philox.js';

const block = new Uint32Array(4);

/** epsilonGreedy on the storage arrays. */
export function epsilonGreedy(a: EpsilonGreedyCall<FloatArray>): void {
  const { q, actions, envs: n, nActions: cols, counter } = a;
  const [k0, k1] = seedKey(a.seed);
  const epsilon = Math.fround(a.epsilon);
  for (let i = 0; i < n; i++) {
    philox4x32(counter, i, DEVICE_RNG_STREAMS.act, 0, k0, k1, block);
    if (uniformFromBits(block[0]) < epsilon) {
      actions[i] = belowFromBits(block[1], cols);
      continue;
    }
    const base = i * cols;
    let best = q[base];
    let index = 0;
    for (let c = 1; c < cols; c++) {
      const v = q[base + c];
      if (v > best) {
        best = v;
        index = c;
      }
    }
    actions[i] = index;
  }
}
