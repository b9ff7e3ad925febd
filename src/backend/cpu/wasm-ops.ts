/**
 * The CPU backend's ops on the WASM SIMD kernels (src/backend/wasm): every tensor lives in the
 * kernels' WebAssembly memory, so each op the kernels cover is one call on the tensors' byte
 * addresses (`storage.ptr`), with no copy and no allocation. The ops they do not cover (gather,
 * scatter, the dueling head, the generic losses, the Q(lambda) returns, the PPO loss, the device envs' step, epsilon-greedy acting, gatherRows, GAE and policy sampling, RAdam's first steps
 * before its rectification applies) are CpuOps' TypeScript kernels, run on the same memory through `storage.data`.
 *
 * Every argument arrives validated by BackendBase, whose aliasing rules are within what the kernels
 * allow (wasm/README.md): GEMM outputs never alias their inputs, in-place elementwise ops and
 * activations are exact aliases, linearInputGrad's out never aliases y.
 */
import { radamRectification, type Activation, type AdamHyperParameters, type RAdamHyperParameters, type SgdHyperParameters } from '../backend.js';
import type { LayerNormBackwardCall, LayerNormCall, MatmulCall, TdLossCall } from '../backend-base.js';
import type { WasmKernels } from '../wasm/wasm-kernels.js';
import { CpuOps, type CpuTensor } from './cpu-ops.js';

/** A tensor's byte address, or 0 (the kernels' "none") for null. */
function ptrOrNull(t: CpuTensor | null): number {
  return t === null ? 0 : t.storage.ptr;
}

export class WasmCpuOps extends CpuOps {
  constructor(private readonly kernels: WasmKernels) {
    super();
  }

  override fill(out: CpuTensor, value: number): void {
    this.calls++;
    this.kernels.fill(out.storage.ptr, out.size, value);
  }

  override copy(src: CpuTensor, dst: CpuTensor): void {
    this.calls++;
    this.kernels.copy(src.storage.ptr, dst.storage.ptr, src.size);
  }

  override scale(x: CpuTensor, alpha: number, out: CpuTensor): void {
    this.calls++;
    this.kernels.scale(x.storage.ptr, out.storage.ptr, x.size, alpha);
  }

  override addMul(a: CpuTensor, b: CpuTensor, c: CpuTensor, out: CpuTensor): void {
    this.calls++;
    this.kernels.addMul(a.storage.ptr, b.storage.ptr, c.storage.ptr, out.storage.ptr, a.size);
  }

  override lerp(dst: CpuTensor, src: CpuTensor, t: number): void {
    this.calls++;
    this.kernels.lerp(dst.storage.ptr, src.storage.ptr, dst.size, t);
  }

  override matmul(a: CpuTensor, b: CpuTensor, out: CpuTensor, call: MatmulCall): void {
    this.calls++;
    this.kernels.matmul(a.storage.ptr, b.storage.ptr, out.storage.ptr, call.m, call.k, call.n, call.transA, call.transB, call.accumulate);
  }

  override columnSum(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    this.kernels.columnSum(x.storage.ptr, out.storage.ptr, x.rows, x.cols, accumulate);
  }

  override linear(x: CpuTensor, w: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.kernels.linearForward(x.storage.ptr, w.storage.ptr, ptrOrNull(bias), out.storage.ptr, x.rows, x.cols, w.cols, activation, alpha);
  }

  override linearGrad(x: CpuTensor, g: CpuTensor, dW: CpuTensor, db: CpuTensor | null, accumulate: boolean): void {
    this.calls++;
    this.kernels.linearParamGrads(x.storage.ptr, g.storage.ptr, dW.storage.ptr, ptrOrNull(db), x.rows, x.cols, g.cols, accumulate);
  }

  override linearInputGrad(g: CpuTensor, w: CpuTensor, y: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    // y null: the plain input gradient g W^T (the kernel's identity).
    this.kernels.linearInputGrad(g.storage.ptr, w.storage.ptr, ptrOrNull(y), out.storage.ptr, g.rows, g.cols, w.rows, y === null ? 'identity' : activation, alpha);
  }

  override tdLoss(call: TdLossCall<CpuTensor>): void {
    // QR-DQN's quantile loss and Munchausen targets run in TypeScript on the WASM memory (a small
    // share of an update: the n x n pairs of a row are no GEMM, the soft values a few exps a row).
    if (call.quantiles > 1 || call.munchausen !== null) return super.tdLoss(call);
    this.calls++;
    const q = call.q.storage.ptr;
    const nActions = call.nextQ.cols;
    // Double DQN: the online Q(s') is rows B..2B-1 of q.
    const qNextOnline = call.double ? q + 4 * call.batch * nActions : 0;
    this.kernels.tdLoss(
      call.nextQ.storage.ptr,
      qNextOnline,
      q,
      call.actions.storage.ptr,
      call.rewards.storage.ptr,
      call.terminated.storage.ptr,
      call.gamma,
      call.gradQ.storage.ptr,
      call.lossOut.storage.ptr,
      ptrOrNull(call.targets),
      call.batch,
      nActions,
      call.loss,
      call.delta,
      ptrOrNull(call.discounts),
    );
  }

  override biasActivation(x: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.kernels.biasActivation(x.storage.ptr, ptrOrNull(bias), out.storage.ptr, x.rows, x.cols, activation, alpha);
  }

  override activationBackward(activation: Activation, y: CpuTensor, gradOut: CpuTensor, gradIn: CpuTensor, alpha: number): void {
    this.calls++;
    this.kernels.activationBackward(activation, y.storage.ptr, gradOut.storage.ptr, gradIn.storage.ptr, y.rows, y.cols, alpha);
  }

  /** LayerNorm and its activation epilogue in one kernel call (wasm/kernels/layer-norm.ts). */
  override layerNorm(call: LayerNormCall<CpuTensor>): void {
    this.calls++;
    const { x, gamma, beta, out, stats } = call;
    this.kernels.layerNorm(x.storage.ptr, gamma.storage.ptr, beta.storage.ptr, out.storage.ptr, stats.storage.ptr, call.rows, call.cols, call.eps, call.activation, call.alpha);
  }

  /** LayerNorm's backward through its activation's derivative in one kernel call (dx may be dy). */
  override layerNormBackward(call: LayerNormBackwardCall<CpuTensor>): void {
    this.calls++;
    this.kernels.layerNormBackward(
      call.x.storage.ptr,
      call.gamma.storage.ptr,
      call.stats.storage.ptr,
      call.dy.storage.ptr,
      ptrOrNull(call.y),
      ptrOrNull(call.dx),
      call.dgamma.storage.ptr,
      call.dbeta.storage.ptr,
      call.rows,
      call.cols,
      call.accumulate,
      call.activation,
      call.alpha,
    );
  }

  override rowMax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    this.kernels.rowMax(x.storage.ptr, out.storage.ptr, x.rows, x.cols);
  }

  override rowArgmax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    this.kernels.rowArgmax(x.storage.ptr, out.storage.ptr, x.rows, x.cols);
  }

  override sumSquares(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    this.kernels.sumSquares(x.storage.ptr, x.size, out.storage.ptr, accumulate);
  }

  override clipByGlobalNorm(x: CpuTensor, sumSquares: CpuTensor, maxNorm: number): void {
    this.calls++;
    this.kernels.clipByGlobalNorm(x.storage.ptr, x.size, sumSquares.storage.ptr, maxNorm);
  }

  override adam(
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
    this.kernels.adam(param.storage.ptr, grad.storage.ptr, m.storage.ptr, v.storage.ptr, param.size, hp, ptrOrNull(clipSumSquares), maxNorm, ptrOrNull(polyakTarget), tau);
  }

  /** RAdam on the adam kernel once its rectification applies; before it (rho_t <= 5), the TypeScript kernel on the heap. */
  override radam(param: CpuTensor, grad: CpuTensor, m: CpuTensor, v: CpuTensor, hp: RAdamHyperParameters, clip: CpuTensor | null, maxNorm: number, target: CpuTensor | null, tau: number): void {
    const rectification = radamRectification(hp);
    if (rectification === 0) {
      super.radam(param, grad, m, v, hp, clip, maxNorm, target, tau);
      return;
    }
    this.calls++;
    const { kernels } = this;
    kernels.radamRectified(param.storage.ptr, grad.storage.ptr, m.storage.ptr, v.storage.ptr, param.size, hp, rectification, ptrOrNull(clip), maxNorm, ptrOrNull(target), tau);
  }

  override sgd(param: CpuTensor, grad: CpuTensor, velocity: CpuTensor, hp: SgdHyperParameters): void {
    this.calls++;
    this.kernels.sgd(param.storage.ptr, grad.storage.ptr, velocity.storage.ptr, param.size, hp);
  }
}
