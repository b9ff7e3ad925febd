/**
 * The WebGPU backend's ops: each validated op of BackendBase becomes one or two dispatches of a
 * kernel of the table in kernels.ts, its parameters written by name.
 */
import type { Activation, AdamHyperParameters, LossKind, SgdHyperParameters } from '../backend.js';
import type { MatmulCall, RawOps, TdLossCall } from '../backend-base.js';
import type { DeviceTensor } from '../device-tensor.js';
import type { Dispatcher } from './dispatcher.js';
import { ACTIVATION_CODES, ADAM_FLAGS, LINEAR_FLAGS, LOSS_CODES, MATMUL_FLAGS, TD_LOSS_FLAGS } from './kernels.js';
import type { GpuStorage } from './storage-pool.js';

/** A WebGPU tensor: its storage is a pooled storage buffer. */
export type WebGpuTensor = DeviceTensor<GpuStorage>;

/** The matmul kernels of shaders/matmul.wgsl. */
export type MatmulPath = 'auto' | 'tiled' | 'blocked' | 'small';

/** Matmuls with at most this many outputs use the split-k path (one workgroup per output). */
const SMALL_MATMUL_OUTPUTS = 256;
/** ... and at least this long a k (below it one tiled workgroup does as well). */
const SMALL_MATMUL_MIN_K = 128;
/** Output rows and columns per workgroup of the tiled and blocked matmul kernels. */
const MATMUL_TILE = 64;

export class WebGpuOps implements RawOps<WebGpuTensor> {
  constructor(
    private readonly d: Dispatcher,
    /** The matmul path ('auto' resolved per call from the shape and `software`). */
    private readonly matmulPath: MatmulPath,
    /** A CPU-emulated adapter: barriers are expensive there, so matmuls avoid workgroup memory. */
    private readonly software: boolean,
  ) {}

  fill(out: WebGpuTensor, value: number): void {
    this.d.params('fill').set('n', out.size).set('scalar', value);
    this.d.bind(out.storage).run('fill', out.size);
  }

  copy(src: WebGpuTensor, dst: WebGpuTensor): void {
    this.d.params('copy').set('n', src.size);
    this.d.bind(src.storage, dst.storage).run('copy', src.size);
  }

  scale(x: WebGpuTensor, alpha: number, out: WebGpuTensor): void {
    this.d.params('scale').set('n', x.size).set('scalar', alpha);
    this.d.bind(x.storage, out.storage).run('scale', x.size);
  }

  addMul(a: WebGpuTensor, b: WebGpuTensor, c: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('addMul').set('n', a.size);
    this.d.bind(a.storage, b.storage, c.storage, out.storage).run('addMul', a.size);
  }

  lerp(dst: WebGpuTensor, src: WebGpuTensor, t: number): void {
    this.d.params('lerp').set('n', dst.size).set('scalar', t);
    this.d.bind(dst.storage, src.storage).run('lerp', dst.size);
  }

  matmul(a: WebGpuTensor, b: WebGpuTensor, out: WebGpuTensor, call: MatmulCall): void {
    const { m, k, n } = call;
    let path = this.matmulPath;
    if (path === 'auto') {
      if (this.software) path = 'blocked';
      else path = m * n <= SMALL_MATMUL_OUTPUTS && k >= SMALL_MATMUL_MIN_K ? 'small' : 'tiled';
    }
    const kernel = path === 'small' ? 'matmulSmall' : path === 'tiled' ? 'matmulTiled' : 'matmulBlocked';
    const flags = (call.transA ? MATMUL_FLAGS.transA : 0) | (call.transB ? MATMUL_FLAGS.transB : 0) | (call.accumulate ? MATMUL_FLAGS.accumulate : 0);
    this.d.params(kernel).set('m', m).set('n', n).set('k', k).set('flags', flags);
    this.d.bind(a.storage, b.storage, out.storage);
    if (kernel === 'matmulSmall') this.d.workgroups(kernel, m * n);
    else this.d.grid(kernel, Math.ceil(n / MATMUL_TILE), Math.ceil(m / MATMUL_TILE));
  }

  columnSum(x: WebGpuTensor, out: WebGpuTensor, accumulate: boolean): void {
    this.d.params('columnSum').set('rows', x.rows).set('cols', x.cols).set('accumulate', accumulate ? 1 : 0);
    this.d.bind(x.storage, out.storage).run('columnSum', x.cols);
  }

  linear(x: WebGpuTensor, w: WebGpuTensor, bias: WebGpuTensor | null, activation: Activation, out: WebGpuTensor, alpha: number): void {
    const softmax = activation === 'softmax';
    const kernel = this.tiled() ? 'linearTiled' : 'linearBlocked';
    this.linearParams(kernel, x.rows, w.cols, x.cols, bias !== null, 0, softmax ? 'identity' : activation, alpha);
    this.d.bind(x.storage, w.storage, bias === null ? this.d.unused('r') : bias.storage, out.storage);
    this.d.grid(kernel, Math.ceil(w.cols / MATMUL_TILE), Math.ceil(x.rows / MATMUL_TILE));
    // Softmax is a row op: the bias was added above, the softmax follows in place.
    if (softmax) this.biasActivation(out, null, 'softmax', out, alpha);
  }

  linearGrad(x: WebGpuTensor, g: WebGpuTensor, dW: WebGpuTensor, db: WebGpuTensor | null, accumulate: boolean): void {
    const kernel = this.tiled() ? 'linearGradTiled' : 'linearGradBlocked';
    // dW = x^T g: op(a) = x^T is (in, B); with db, op(a) gains a row of ones whose outputs are db.
    this.linearParams(kernel, x.cols, g.cols, x.rows, db !== null, LINEAR_FLAGS.transA | (accumulate ? LINEAR_FLAGS.accumulate : 0), 'identity', 0);
    this.d.bind(x.storage, g.storage, dW.storage, db === null ? this.d.unused('w') : db.storage);
    this.d.grid(kernel, Math.ceil(g.cols / MATMUL_TILE), Math.ceil((x.cols + (db === null ? 0 : 1)) / MATMUL_TILE));
  }

  linearInputGrad(g: WebGpuTensor, w: WebGpuTensor, y: WebGpuTensor | null, activation: Activation, out: WebGpuTensor, alpha: number): void {
    const kernel = this.tiled() ? 'inputGradTiled' : 'inputGradBlocked';
    this.linearParams(kernel, g.rows, w.rows, g.cols, y !== null, LINEAR_FLAGS.transB, activation, alpha);
    this.d.bind(g.storage, w.storage, y === null ? this.d.unused('r') : y.storage, out.storage);
    this.d.grid(kernel, Math.ceil(w.rows / MATMUL_TILE), Math.ceil(g.rows / MATMUL_TILE));
  }

  tdLoss(call: TdLossCall<WebGpuTensor>): void {
    const flags =
      (call.double ? TD_LOSS_FLAGS.double : 0) | (call.loss === 'huber' ? TD_LOSS_FLAGS.huber : 0) | (call.targets !== null ? TD_LOSS_FLAGS.targets : 0) |
      (call.discounts !== null ? TD_LOSS_FLAGS.discounts : 0);
    this.d
      .params('tdLoss')
      .set('batch', call.batch)
      .set('actions', call.nextQ.cols)
      .set('flags', flags)
      .set('gamma', call.gamma)
      .set('delta', call.delta);
    this.d.bind(
      call.q.storage,
      call.nextQ.storage,
      call.actions.storage,
      call.rewards.storage,
      // Binding 5: the terminated flags, or the per-row discounts that replace gamma (1 - terminated).
      call.discounts === null ? call.terminated.storage : call.discounts.storage,
      call.lossOut.storage,
      call.gradQ.storage,
      call.targets === null ? this.d.unused('w') : call.targets.storage,
    );
    this.d.grid('tdLoss', 1, 1);
  }

  biasActivation(x: WebGpuTensor, bias: WebGpuTensor | null, activation: Activation, out: WebGpuTensor, alpha: number): void {
    const kernel = activation === 'softmax' ? 'biasSoftmax' : 'biasActivation';
    this.d
      .params(kernel)
      .set('rows', x.rows)
      .set('cols', x.cols)
      .set('activation', ACTIVATION_CODES[activation])
      .set('has_bias', bias === null ? 0 : 1)
      .set('alpha', alpha);
    // Without a bias, binding 2 is x again: read-only, never read.
    this.d.bind(x.storage, bias === null ? x.storage : bias.storage, out.storage).run(kernel, activation === 'softmax' ? x.rows : x.size);
  }

  activationBackward(activation: Activation, y: WebGpuTensor, gradOut: WebGpuTensor, gradIn: WebGpuTensor, alpha: number): void {
    const kernel = activation === 'softmax' ? 'softmaxBackward' : 'activationBackward';
    this.d.params(kernel).set('rows', y.rows).set('cols', y.cols).set('activation', ACTIVATION_CODES[activation]).set('alpha', alpha);
    this.d.bind(y.storage, gradOut.storage, gradIn.storage).run(kernel, activation === 'softmax' ? y.rows : y.size);
  }

  gatherColumns(x: WebGpuTensor, indices: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('gatherColumns').set('rows', x.rows).set('cols', x.cols);
    this.d.bind(x.storage, indices.storage, out.storage).run('gatherColumns', x.rows);
  }

  scatterColumns(values: WebGpuTensor, indices: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('scatterColumns').set('rows', out.rows).set('cols', out.cols);
    this.d.bind(values.storage, indices.storage, out.storage).run('scatterColumns', out.size);
  }

  rowMax(x: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('rowMax').set('rows', x.rows).set('cols', x.cols);
    this.d.bind(x.storage, out.storage).run('rowMax', x.rows);
  }

  rowArgmax(x: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('rowArgmax').set('rows', x.rows).set('cols', x.cols);
    this.d.bind(x.storage, out.storage).run('rowArgmax', x.rows);
  }

  duelingCombine(value: WebGpuTensor, advantage: WebGpuTensor, q: WebGpuTensor): void {
    this.d.params('duelingCombine').set('rows', advantage.rows).set('cols', advantage.cols);
    this.d.bind(value.storage, advantage.storage, q.storage).run('duelingCombine', advantage.rows);
  }

  duelingBackward(gradQ: WebGpuTensor, gradValue: WebGpuTensor, gradAdvantage: WebGpuTensor): void {
    this.d.params('duelingBackward').set('rows', gradQ.rows).set('cols', gradQ.cols);
    this.d.bind(gradQ.storage, gradValue.storage, gradAdvantage.storage).run('duelingBackward', gradQ.rows);
  }

  loss(kind: LossKind, pred: WebGpuTensor, target: WebGpuTensor, lossOut: WebGpuTensor, grad: WebGpuTensor | null, delta: number, eps: number): void {
    // The value first: grad may alias pred.
    this.lossParams('lossValue', kind, pred, delta, eps);
    this.d.bind(pred.storage, target.storage, lossOut.storage).grid('lossValue', 1, 1);
    if (grad === null) return;
    const kernel = kind === 'softmax_cross_entropy' ? 'lossGradSoftmax' : 'lossGrad';
    this.lossParams(kernel, kind, pred, delta, eps);
    this.d.bind(pred.storage, target.storage, grad.storage).run(kernel, kernel === 'lossGradSoftmax' ? pred.rows : pred.size);
  }

  sumSquares(x: WebGpuTensor, out: WebGpuTensor, accumulate: boolean): void {
    this.d.params('sumSquares').set('rows', x.rows).set('cols', x.cols).set('accumulate', accumulate ? 1 : 0);
    this.d.bind(x.storage, out.storage).grid('sumSquares', 1, 1);
  }

  clipByGlobalNorm(x: WebGpuTensor, sumSquares: WebGpuTensor, maxNorm: number): void {
    this.d.params('clipScale').set('n', x.size).set('scalar', maxNorm);
    this.d.bind(x.storage, sumSquares.storage).run('clipScale', x.size);
  }

  adam(
    param: WebGpuTensor,
    grad: WebGpuTensor,
    m: WebGpuTensor,
    v: WebGpuTensor,
    hp: AdamHyperParameters,
    clipSumSquares: WebGpuTensor | null,
    maxNorm: number,
    polyakTarget: WebGpuTensor | null,
    tau: number,
  ): void {
    const flags = (clipSumSquares !== null ? ADAM_FLAGS.clip : 0) | (polyakTarget !== null ? ADAM_FLAGS.polyak : 0);
    // Bias corrections in float64 on the host, as the CPU backend computes them.
    this.d
      .params('adam')
      .set('flags', flags)
      .set('max_norm', maxNorm)
      .set('tau', tau)
      .set('n', param.size)
      .set('beta1', hp.beta1)
      .set('beta2', hp.beta2)
      .set('eps', hp.eps)
      .set('step_size', hp.lr / (1 - Math.pow(hp.beta1, hp.step)))
      .set('sqrt_correction2', Math.sqrt(1 - Math.pow(hp.beta2, hp.step)))
      .set('l2', hp.decoupledWeightDecay ? 0 : hp.weightDecay)
      .set('decay', hp.decoupledWeightDecay ? 1 - hp.lr * hp.weightDecay : 1);
    this.d.bind(
      param.storage,
      grad.storage,
      m.storage,
      v.storage,
      clipSumSquares === null ? this.d.unused('r') : clipSumSquares.storage,
      polyakTarget === null ? this.d.unused('w') : polyakTarget.storage,
    );
    this.d.run('adam', param.size);
  }

  sgd(param: WebGpuTensor, grad: WebGpuTensor, velocity: WebGpuTensor, hp: SgdHyperParameters): void {
    this.d
      .params('sgd')
      .set('n', param.size)
      .set('lr', hp.lr)
      .set('momentum', hp.momentum)
      .set('dampening', hp.dampening)
      .set('weight_decay', hp.weightDecay)
      .set('nesterov', hp.nesterov ? 1 : 0)
      .set('first', hp.step === 1 ? 1 : 0);
    this.d.bind(param.storage, grad.storage, velocity.storage).run('sgd', param.size);
  }

  /** Whether the fused layer kernels take the workgroup-tile path (GPUs) rather than the register-blocked one. */
  private tiled(): boolean {
    if (this.matmulPath === 'auto') return !this.software;
    return this.matmulPath !== 'blocked';
  }

  private linearParams(
    kernel: 'linearTiled' | 'linearBlocked' | 'linearGradTiled' | 'linearGradBlocked' | 'inputGradTiled' | 'inputGradBlocked',
    m: number,
    n: number,
    k: number,
    extra: boolean,
    flags: number,
    activation: Activation,
    alpha: number,
  ): void {
    this.d
      .params(kernel)
      .set('m', m)
      .set('n', n)
      .set('k', k)
      .set('flags', flags | (extra ? LINEAR_FLAGS.extra : 0))
      .set('activation', ACTIVATION_CODES[activation])
      .set('alpha', alpha);
  }

  private lossParams(kernel: 'lossValue' | 'lossGrad' | 'lossGradSoftmax', kind: LossKind, pred: WebGpuTensor, delta: number, eps: number): void {
    this.d.params(kernel).set('rows', pred.rows).set('cols', pred.cols).set('kind', LOSS_CODES[kind]).set('delta', delta).set('eps', eps);
  }
}
