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
  /** Per-row discounts replacing gamma (1 - terminated), or null. */
  discounts: FloatArray | null;
  lossOut: FloatArray;
  gradQ: FloatArray;
  targets: FloatArray | null;
}

export class TdLossKernel {
  /** Four scratch rows of the storage's element type, each of at least the batch size (grown on demand, never per call). */
  private nextValues: FloatArray = new Float32Array(0);
  private targets: FloatArray = new Float32Array(0);
  private chosen: FloatArray = new Float32Array(0);
  private grad: FloatArray = new Float32Array(0);

  run(a: TdLossArrays, batch: number, nActions: number, gamma: number, double: boolean, kind: TdLossKind, delta: number): void {
    this.reserve(a.q, batch);
    const { nextValues, targets, chosen, grad } = this;
    if (double) {
      // The online argmax over Q(s', .) (rows B..2B-1 of q) picks the action the target values.
      reductions.rowArgmax(a.q, grad, batch, nActions, batch * nActions);
      indexing.gatherColumns(a.nextQ, grad, nextValues, batch, nActions);
    } else {
      reductions.rowMax(a.nextQ, nextValues, batch, nActions);
    }
    // The discount gamma (1 - terminated) stored at the storage's precision as a tensor would hold
    // it, or the per-row discounts given.
    const discounts = chosen;
    const rowDiscounts = a.discounts;
    if (rowDiscounts === null) for (let i = 0; i < batch; i++) discounts[i] = gamma * (1 - a.terminated[i]);
    else for (let i = 0; i < batch; i++) discounts[i] = rowDiscounts[i];
    for (let i = 0; i < batch; i++) targets[i] = a.rewards[i] + discounts[i] * nextValues[i];
    indexing.gatherColumns(a.q, a.actions, chosen, batch, nActions);
    a.lossOut[0] = lossKernel(kind, chosen, targets, grad, batch, 1, delta, 0);
    indexing.scatterColumns(grad, a.actions, a.gradQ, batch, nActions);
    if (a.targets !== null) for (let i = 0; i < batch; i++) a.targets[i] = targets[i];
  }

  /** Scratch rows of the same element type as `like`, of at least `size` elements. */
  private reserve(like: FloatArray, size: number): void {
    if (this.grad.length >= size && this.grad.constructor === like.constructor) return;
    const make = (): FloatArray => (like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size));
    this.nextValues = make();
    this.targets = make();
    this.chosen = make();
    this.grad = make();
  }
}
