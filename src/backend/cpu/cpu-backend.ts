/**
 * The CPU backend: every op runs synchronously on typed arrays. Storage is Float32Array (the
 * default, matching WebGPU) or Float64Array (`dtype: 'float64'`, for gradient checks through the
 * very same nn code). Scratch space is cached and grown on demand: no allocation per op once warm.
 */
import {
  type Activation,
  type AdamHyperParameters,
  type AccumulateOption,
  type Backend,
  type BackendStats,
  type DType,
  type FloatArray,
  type LossKind,
  type LossOptions,
  type MatmulOptions,
  type SgdHyperParameters,
  type Shape,
  type Tensor,
} from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../validate.js';
import { CpuTensor } from './cpu-tensor.js';
import * as elementwise from './elementwise.js';
import { matmul } from './matmul.js';
import * as act from './activation.js';
import * as reductions from './reductions.js';
import * as indexing from './indexing.js';
import { loss as lossKernel } from './losses.js';
import * as optimizers from './optimizers.js';

export interface CpuBackendOptions {
  /** Element storage: 'float32' (default) or 'float64'. */
  dtype?: DType;
}

const DEFAULT_LEAKY_ALPHA = 0.01;
const DEFAULT_HUBER_DELTA = 1;
const DEFAULT_CE_EPS = 1e-7;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly dtype: DType;
  private readonly live = new Set<CpuTensor>();
  private bytes = 0;
  private destroyed = false;
  private rowScratch = new Float64Array(0);
  private readonly release = (t: CpuTensor, bytes: number): void => {
    if (this.live.delete(t)) this.bytes -= bytes;
  };
  private readonly matmulArgs = {
    a: new Float32Array(0) as FloatArray,
    b: new Float32Array(0) as FloatArray,
    out: new Float32Array(0) as FloatArray,
    m: 0,
    k: 0,
    n: 0,
    transA: false,
    transB: false,
    accumulate: false,
  };

  constructor(options: CpuBackendOptions = {}) {
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new InvalidArgumentError(`CpuBackend: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    }
    this.dtype = dtype;
  }

  // ---------------------------------------------------------------- storage

  tensor(shape: Shape, data?: ArrayLike<number>, label = 'tensor'): Tensor {
    this.checkUsable();
    v.validateTensorData(shape, data);
    const size = shape.length === 1 ? shape[0] : shape[0] * shape[1];
    const storage = this.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
    if (data !== undefined) storage.set(data);
    const t = new CpuTensor(shape, storage, label, this.release);
    this.live.add(t);
    this.bytes += storage.byteLength;
    return t;
  }

  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    this.checkUsable();
    v.validateWrite(t, data, offset);
    this.data(t).set(data, offset);
  }

  read(t: Tensor, dst?: FloatArray): Promise<FloatArray> {
    this.checkUsable();
    v.validateRead(t, dst);
    const src = this.data(t);
    if (dst !== undefined) {
      dst.set(src.length === t.size ? src : src.subarray(0, t.size));
      return Promise.resolve(dst);
    }
    return Promise.resolve(src.slice(0, t.size));
  }

  flush(): void {
    this.checkUsable();
  }

  sync(): Promise<void> {
    this.checkUsable();
    return Promise.resolve();
  }

  stats(): BackendStats {
    return { tensorsAlive: this.live.size, bytesAlive: this.bytes };
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const t of [...this.live]) t.dispose();
    this.destroyed = true;
  }

  // ---------------------------------------------------------------- elementwise and copies

  fill(out: Tensor, value: number): void {
    this.checkUsable();
    v.validateFill(out, value);
    elementwise.fill(this.data(out), value);
  }

  copy(src: Tensor, dst: Tensor): void {
    this.checkUsable();
    v.validateCopy(src, dst);
    elementwise.copy(this.data(src), this.data(dst), src.size);
  }

  scale(x: Tensor, alpha: number, out: Tensor): void {
    this.checkUsable();
    v.validateScale(x, alpha, out);
    elementwise.scale(this.data(x), alpha, this.data(out), x.size);
  }

  addMul(a: Tensor, b: Tensor, c: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateAddMul(a, b, c, out);
    elementwise.addMul(this.data(a), this.data(b), this.data(c), this.data(out), a.size);
  }

  lerp(dst: Tensor, src: Tensor, t: number): void {
    this.checkUsable();
    v.validateLerp(dst, src, t);
    elementwise.lerp(this.data(dst), this.data(src), t, dst.size);
  }

  // ---------------------------------------------------------------- linear algebra

  matmul(a: Tensor, b: Tensor, out: Tensor, options?: MatmulOptions): void {
    this.checkUsable();
    const args = this.matmulArgs;
    v.validateMatmul(a, b, out, options, args);
    args.a = this.data(a);
    args.b = this.data(b);
    args.out = this.data(out);
    args.transA = options?.transA === true;
    args.transB = options?.transB === true;
    args.accumulate = options?.accumulate === true;
    matmul(args);
  }

  columnSum(x: Tensor, out: Tensor, options?: AccumulateOption): void {
    this.checkUsable();
    v.validateColumnSum(x, out);
    const scratch = this.scratchRow(x.cols);
    reductions.columnSum(this.data(x), this.data(out), x.rows, x.cols, options?.accumulate === true, scratch);
  }

  // ---------------------------------------------------------------- layers

  biasActivation(x: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha = DEFAULT_LEAKY_ALPHA): void {
    this.checkUsable();
    v.validateBiasActivation(x, bias, activation, out, alpha);
    act.biasActivation(this.data(x), bias === null ? null : this.data(bias), activation, this.data(out), x.rows, x.cols, alpha);
  }

  activationBackward(activation: Activation, y: Tensor, gradOut: Tensor, gradIn: Tensor, alpha = DEFAULT_LEAKY_ALPHA): void {
    this.checkUsable();
    v.validateActivationBackward(activation, y, gradOut, gradIn, alpha);
    act.activationBackward(activation, this.data(y), this.data(gradOut), this.data(gradIn), y.rows, y.cols, alpha);
  }

  // ---------------------------------------------------------------- indexing and reductions over rows

  gatherColumns(x: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateGatherColumns(x, indices, out);
    indexing.gatherColumns(this.data(x), this.data(indices), this.data(out), x.rows, x.cols);
  }

  scatterColumns(values: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateScatterColumns(values, indices, out);
    indexing.scatterColumns(this.data(values), this.data(indices), this.data(out), out.rows, out.cols);
  }

  rowMax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowMax', x, out);
    reductions.rowMax(this.data(x), this.data(out), x.rows, x.cols);
  }

  rowArgmax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowArgmax', x, out);
    reductions.rowArgmax(this.data(x), this.data(out), x.rows, x.cols);
  }

  duelingCombine(value: Tensor, advantage: Tensor, q: Tensor): void {
    this.checkUsable();
    v.validateDuelingCombine(value, advantage, q);
    indexing.duelingCombine(this.data(value), this.data(advantage), this.data(q), advantage.rows, advantage.cols);
  }

  duelingBackward(gradQ: Tensor, gradValue: Tensor, gradAdvantage: Tensor): void {
    this.checkUsable();
    v.validateDuelingBackward(gradQ, gradValue, gradAdvantage);
    indexing.duelingBackward(this.data(gradQ), this.data(gradValue), this.data(gradAdvantage), gradQ.rows, gradQ.cols);
  }

  // ---------------------------------------------------------------- losses

  loss(kind: LossKind, pred: Tensor, target: Tensor, lossOut: Tensor, grad: Tensor | null, options?: LossOptions): void {
    this.checkUsable();
    const delta = options?.delta ?? DEFAULT_HUBER_DELTA;
    const eps = options?.eps ?? DEFAULT_CE_EPS;
    v.validateLoss(kind, pred, target, lossOut, grad, delta, eps);
    const value = lossKernel(kind, this.data(pred), this.data(target), grad === null ? null : this.data(grad), pred.rows, pred.cols, delta, eps);
    this.data(lossOut)[0] = value;
  }

  // ---------------------------------------------------------------- optimisers and gradient clipping

  sumSquares(x: Tensor, out: Tensor, options?: AccumulateOption): void {
    this.checkUsable();
    v.validateSumSquares(x, out);
    const s = reductions.sumSquares(this.data(x), x.size);
    const o = this.data(out);
    o[0] = options?.accumulate === true ? o[0] + s : s;
  }

  clipByGlobalNorm(x: Tensor, sumSquares: Tensor, maxNorm: number): void {
    this.checkUsable();
    v.validateClipByGlobalNorm(x, sumSquares, maxNorm);
    optimizers.clipByGlobalNorm(this.data(x), x.size, this.data(sumSquares)[0], maxNorm);
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, vTensor: Tensor, hp: AdamHyperParameters): void {
    this.checkUsable();
    v.validateAdam(param, grad, m, vTensor, hp);
    optimizers.adam(this.data(param), this.data(grad), this.data(m), this.data(vTensor), param.size, hp);
  }

  sgd(param: Tensor, grad: Tensor, velocity: Tensor, hp: SgdHyperParameters): void {
    this.checkUsable();
    v.validateSgd(param, grad, velocity, hp);
    optimizers.sgd(this.data(param), this.data(grad), this.data(velocity), param.size, hp);
  }

  // ---------------------------------------------------------------- helpers

  private checkUsable(): void {
    if (this.destroyed) throw new InvalidArgumentError('CpuBackend: used after destroy()');
  }

  /** The storage of a tensor created by this backend. */
  private data(t: Tensor): FloatArray {
    if (!(t instanceof CpuTensor) || !this.live.has(t)) {
      if (t.disposed) throw new InvalidArgumentError(`tensor '${t.label}' was disposed`);
      throw new InvalidArgumentError(`tensor '${t.label}' does not belong to this CpuBackend`);
    }
    return t.data;
  }

  private scratchRow(size: number): Float64Array {
    if (this.rowScratch.length < size) this.rowScratch = new Float64Array(size);
    return this.rowScratch;
  }
}
