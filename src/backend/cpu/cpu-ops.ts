/**
 * The CPU backend's ops: each validated op of BackendBase runs one of the plain TypeScript kernels
 * of this folder on the tensors' typed arrays. Scratch space is cached and grown on demand, so no
 * op allocates once warm.
 */
import type { Activation, AdamHyperParameters, FloatArray, LossKind, SgdHyperParameters } from '../backend.js';
import type { MatmulCall, RawOps, TdLossCall } from '../backend-base.js';
import type { DeviceTensor } from '../device-tensor.js';
import * as act from './activation.js';
import * as elementwise from './elementwise.js';
import * as indexing from './indexing.js';
import { loss as lossKernel } from './losses.js';
import { matmul, type MatmulArgs } from './matmul.js';
import * as optimizers from './optimizers.js';
import * as reductions from './reductions.js';
import { TdLossKernel, type TdLossArrays } from './td-loss.js';

/** A CPU tensor: its storage is a Float32Array or a Float64Array of exactly its size. */
export type CpuTensor = DeviceTensor<FloatArray>;

export class CpuOps implements RawOps<CpuTensor> {
  /** Kernel calls so far (BackendStats.dispatches). */
  calls = 0;
  private rowScratch = new Float64Array(0);
  private readonly td = new TdLossKernel();
  private readonly tdArrays: TdLossArrays = {
    q: new Float32Array(0),
    nextQ: new Float32Array(0),
    actions: new Float32Array(0),
    rewards: new Float32Array(0),
    terminated: new Float32Array(0),
    lossOut: new Float32Array(0),
    gradQ: new Float32Array(0),
    targets: null,
  };
  private readonly matmulArgs: MatmulArgs = {
    a: new Float32Array(0),
    b: new Float32Array(0),
    out: new Float32Array(0),
    m: 0,
    k: 0,
    n: 0,
    transA: false,
    transB: false,
    accumulate: false,
  };

  fill(out: CpuTensor, value: number): void {
    this.calls++;
    elementwise.fill(out.storage, value);
  }

  copy(src: CpuTensor, dst: CpuTensor): void {
    this.calls++;
    elementwise.copy(src.storage, dst.storage, src.size);
  }

  scale(x: CpuTensor, alpha: number, out: CpuTensor): void {
    this.calls++;
    elementwise.scale(x.storage, alpha, out.storage, x.size);
  }

  addMul(a: CpuTensor, b: CpuTensor, c: CpuTensor, out: CpuTensor): void {
    this.calls++;
    elementwise.addMul(a.storage, b.storage, c.storage, out.storage, a.size);
  }

  lerp(dst: CpuTensor, src: CpuTensor, t: number): void {
    this.calls++;
    elementwise.lerp(dst.storage, src.storage, t, dst.size);
  }

  matmul(a: CpuTensor, b: CpuTensor, out: CpuTensor, call: MatmulCall): void {
    this.calls++;
    this.runMatmul(a, b, out, call.m, call.k, call.n, call.transA, call.transB, call.accumulate);
  }

  columnSum(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    reductions.columnSum(x.storage, out.storage, x.rows, x.cols, accumulate, this.scratchRow(x.cols));
  }

  linear(x: CpuTensor, w: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.runMatmul(x, w, out, x.rows, x.cols, w.cols, false, false, false);
    act.biasActivation(out.storage, bias === null ? null : bias.storage, activation, out.storage, out.rows, out.cols, alpha);
  }

  linearGrad(x: CpuTensor, g: CpuTensor, dW: CpuTensor, db: CpuTensor | null, accumulate: boolean): void {
    this.calls++;
    this.runMatmul(x, g, dW, x.cols, x.rows, g.cols, true, false, accumulate);
    if (db !== null) reductions.columnSum(g.storage, db.storage, g.rows, g.cols, accumulate, this.scratchRow(g.cols));
  }

  linearInputGrad(g: CpuTensor, w: CpuTensor, y: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.runMatmul(g, w, out, g.rows, g.cols, w.rows, false, true, false);
    if (y !== null) act.activationBackward(activation, y.storage, out.storage, out.storage, out.rows, out.cols, alpha);
  }

  tdLoss(call: TdLossCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.tdArrays;
    arrays.q = call.q.storage;
    arrays.nextQ = call.nextQ.storage;
    arrays.actions = call.actions.storage;
    arrays.rewards = call.rewards.storage;
    arrays.terminated = call.terminated.storage;
    arrays.lossOut = call.lossOut.storage;
    arrays.gradQ = call.gradQ.storage;
    arrays.targets = call.targets === null ? null : call.targets.storage;
    this.td.run(arrays, call.batch, call.nextQ.cols, call.gamma, call.double, call.loss, call.delta);
  }

  biasActivation(x: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    act.biasActivation(x.storage, bias === null ? null : bias.storage, activation, out.storage, x.rows, x.cols, alpha);
  }

  activationBackward(activation: Activation, y: CpuTensor, gradOut: CpuTensor, gradIn: CpuTensor, alpha: number): void {
    this.calls++;
    act.activationBackward(activation, y.storage, gradOut.storage, gradIn.storage, y.rows, y.cols, alpha);
  }

  gatherColumns(x: CpuTensor, indices: CpuTensor, out: CpuTensor): void {
    this.calls++;
    indexing.gatherColumns(x.storage, indices.storage, out.storage, x.rows, x.cols);
  }

  scatterColumns(values: CpuTensor, indices: CpuTensor, out: CpuTensor): void {
    this.calls++;
    indexing.scatterColumns(values.storage, indices.storage, out.storage, out.rows, out.cols);
  }

  rowMax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    reductions.rowMax(x.storage, out.storage, x.rows, x.cols);
  }

  rowArgmax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    reductions.rowArgmax(x.storage, out.storage, x.rows, x.cols);
  }

  duelingCombine(value: CpuTensor, advantage: CpuTensor, q: CpuTensor): void {
    this.calls++;
    indexing.duelingCombine(value.storage, advantage.storage, q.storage, advantage.rows, advantage.cols);
  }

  duelingBackward(gradQ: CpuTensor, gradValue: CpuTensor, gradAdvantage: CpuTensor): void {
    this.calls++;
    indexing.duelingBackward(gradQ.storage, gradValue.storage, gradAdvantage.storage, gradQ.rows, gradQ.cols);
  }

  loss(kind: LossKind, pred: CpuTensor, target: CpuTensor, lossOut: CpuTensor, grad: CpuTensor | null, delta: number, eps: number): void {
    this.calls++;
    const value = lossKernel(kind, pred.storage, target.storage, grad === null ? null : grad.storage, pred.rows, pred.cols, delta, eps);
    lossOut.storage[0] = value;
  }

  sumSquares(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    const s = reductions.sumSquares(x.storage, x.size);
    const o = out.storage;
    o[0] = accumulate ? o[0] + s : s;
  }

  clipByGlobalNorm(x: CpuTensor, sumSquares: CpuTensor, maxNorm: number): void {
    this.calls++;
    optimizers.clipByGlobalNorm(x.storage, x.size, sumSquares.storage[0], maxNorm);
  }

  adam(
    param: CpuTensor,
    grad: CpuTensor,
    m: CpuTensor,
    v: CpuTensor,
    hp: AdamHyperParameters,
    clipSumSquares: CpuTensor | null,
    maxNorm: number,
    polyakTarget: CpuTensor | null,
    tau: number,
  ): void {
    this.calls++;
    if (clipSumSquares !== null) optimizers.clipByGlobalNorm(grad.storage, grad.size, clipSumSquares.storage[0], maxNorm);
    optimizers.adam(param.storage, grad.storage, m.storage, v.storage, param.size, hp);
    if (polyakTarget !== null) elementwise.lerp(polyakTarget.storage, param.storage, tau, param.size);
  }

  sgd(param: CpuTensor, grad: CpuTensor, velocity: CpuTensor, hp: SgdHyperParameters): void {
    this.calls++;
    optimizers.sgd(param.storage, grad.storage, velocity.storage, param.size, hp);
  }

  private runMatmul(a: CpuTensor, b: CpuTensor, out: CpuTensor, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    const args = this.matmulArgs;
    args.a = a.storage;
    args.b = b.storage;
    args.out = out.storage;
    args.m = m;
    args.k = k;
    args.n = n;
    args.transA = transA;
    args.transB = transB;
    args.accumulate = accumulate;
    matmul(args);
  }

  private scratchRow(size: number): Float64Array {
    if (this.rowScratch.length < size) this.rowScratch = new Float64Array(size);
    return this.rowScratch;
  }
}
