/**
 * The DQN TD loss on the CPU, as one call: exactly the op sequence it fuses (rowMax, or rowArgmax
 * and gatherColumns, for V(s'); addMul for the targets; gatherColumns, loss and scatterColumns),
 * through the same kernels on scratch arrays of the storage's type, so the fused and the unfused
 * updates agree to the bit.
 */
import type { FloatArray, TdLossKind } from '../backend.js';
import * as indexing from './indexing.js';
import { loss as lossKernel } from './losses.js';
import * as reductions from './reductions.js';

/** The storage arrays of one tdLoss call (see TdLossArgs). */
export interface TdLossArrays {
  q: FloatArray;
  nextQ: FloatArray;
  actions: FloatArray;
  rewards: FloatArray;
  terminated: FloatArray;
  lossOut: FloatArray;
  gradQ: FloatArray;
  targets: FloatArray | null;
}

export class TdLossKernel {
  private scratch: FloatArray = new Float32Array(0);

  run(a: TdLossArrays, batch: number, nActions: number, gamma: number, double: boolean, kind: TdLossKind, delta: number): void {
    const scratch = this.scratchFor(a.q, 4 * batch);
    const nextValues = scratch.subarray(0, batch);
    const targets = scratch.subarray(batch, 2 * batch);
    const chosen = scratch.subarray(2 * batch, 3 * batch);
    const grad = scratch.subarray(3 * batch, 4 * batch);
    if (double) {
      // The online argmax over Q(s', .) (rows B..2B-1 of q) picks the action the target values.
      reductions.rowArgmax(a.q.subarray(batch * nActions, 2 * batch * nActions), grad, batch, nActions);
      indexing.gatherColumns(a.nextQ, grad, nextValues, batch, nActions);
    } else {
      reductions.rowMax(a.nextQ, nextValues, batch, nActions);
    }
    // The discount gamma (1 - terminated), stored at the storage's precision as a tensor would hold it.
    const discounts = chosen;
    for (let i = 0; i < batch; i++) discounts[i] = gamma * (1 - a.terminated[i]);
    for (let i = 0; i < batch; i++) targets[i] = a.rewards[i] + discounts[i] * nextValues[i];
    indexing.gatherColumns(a.q, a.actions, chosen, batch, nActions);
    a.lossOut[0] = lossKernel(kind, chosen, targets, grad, batch, 1, delta, 0);
    indexing.scatterColumns(grad, a.actions, a.gradQ, batch, nActions);
    if (a.targets !== null) a.targets.set(targets);
  }

  /** A scratch array of the same element type as `like`, of at least `size` elements. */
  private scratchFor(like: FloatArray, size: number): FloatArray {
    if (this.scratch.length < size || this.scratch.constructor !== like.constructor) {
      this.scratch = like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
    }
    return this.scratch;
  }
}
