/**
 * One instance of the WASM SIMD kernels: its own WebAssembly.Memory, the heap that allocates
 * float32 regions in it, and the kernels as methods taking byte pointers (WasmRegion.ptr) and
 * dimensions. Every kernel works in place in the memory: no copy in or out, and no JavaScript
 * allocation per call. Arguments are not validated here (the backend's validating layer does
 * that); the kernels assume row-major float32 operands of the sizes given, at aligned pointers.
 */
import type { Activation, AdamHyperParameters, RAdamHyperParameters, SgdHyperParameters } from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';
import { detectWasmSupport, WasmSimdUnavailableError, type WasmSupport } from './features.js';
import { WasmHeap } from './heap.js';
import { buildKernelModule, MIN_PAGES } from './kernel-module.js';
import { ACTIVATION_CODES, TD_LOSS_CODES } from '../kernel-codes.js';
import { LAYER_NORM_ARGS } from './kernels/layer-norm.js';
import { ADAM_ARGS, SGD_ARGS } from './kernels/optimizers.js';
import { ARGS_PTR, HEAP_START } from './memory-layout.js';

/** Index of the argument block in the memory's Float32Array. */
const ARGS = ARGS_PTR >>> 2;

export interface WasmKernelsOptions {
  /**
   * Use relaxed-SIMD FMA in the GEMM: 'auto' (default) where the runtime validates it, true to
   * require it (an error where it is missing), false for SIMD128 multiply + add.
   */
  fma?: boolean | 'auto';
  /** Heap bytes to reserve up front (default 1 MiB); the memory grows on demand beyond. */
  initialHeapBytes?: number;
}

type Fn = (...args: number[]) => number | undefined;

interface KernelExports {
  matmul: Fn;
  linear_forward: Fn;
  linear_param_grads: Fn;
  linear_input_grad: Fn;
  bias_act: Fn;
  act_backward: Fn;
  layer_norm: Fn;
  layer_norm_backward: Fn;
  column_sum: Fn;
  row_max: Fn;
  row_argmax: Fn;
  sum_squares: Fn;
  clip_scale: Fn;
  fill: Fn;
  copy: Fn;
  scale: Fn;
  add_mul: Fn;
  lerp: Fn;
  adam: Fn;
  sgd: Fn;
  td_loss: Fn;
}

const EXPORT_NAMES: readonly (keyof KernelExports)[] = [
  'matmul', 'linear_forward', 'linear_param_grads', 'linear_input_grad', 'bias_act', 'act_backward', 'layer_norm', 'layer_norm_backward', 'column_sum', 'row_max',
  'row_argmax', 'sum_squares', 'clip_scale', 'fill', 'copy', 'scale', 'add_mul', 'lerp', 'adam', 'sgd', 'td_loss',
];

/** Compiled modules, one per FMA choice, shared by every instance of the process or worker. */
const compiled = new Map<boolean, WebAssembly.Module>();

function resolveFma(option: boolean | 'auto' | undefined, support: WasmSupport): boolean {
  if (!support.simd) throw new WasmSimdUnavailableError(support);
  if (option === undefined || option === 'auto') return support.relaxedSimd;
  if (option && !support.relaxedSimd) {
    throw new InvalidArgumentError('WasmKernels: fma: true needs relaxed SIMD, which this runtime lacks (Node 20: run with --experimental-wasm-relaxed-simd)');
  }
  return option;
}

export class WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly heap: WasmHeap;
  /** Whether the GEMM uses relaxed-SIMD FMA. */
  readonly fma: boolean;
  private readonly k: KernelExports;

  private constructor(module: WebAssembly.Module, fma: boolean, initialHeapBytes: number) {
    this.fma = fma;
    this.memory = new WebAssembly.Memory({ initial: MIN_PAGES + Math.ceil(initialHeapBytes / 65536) });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    const k = {} as Record<keyof KernelExports, Fn>;
    for (const name of EXPORT_NAMES) {
      const fn = instance.exports[name];
      if (typeof fn !== 'function') throw new Error(`WasmKernels: the kernel module has no export '${name}'`);
      k[name] = fn as Fn;
    }
    this.k = k;
    this.heap = new WasmHeap(this.memory, HEAP_START);
  }

  /** Builds (or reuses) the module and instantiates it synchronously (fine in Node and in a worker). */
  static create(options: WasmKernelsOptions = {}): WasmKernels {
    const fma = resolveFma(options.fma, detectWasmSupport());
    let module = compiled.get(fma);
    if (!module) {
      module = new WebAssembly.Module(buildKernelModule({ fma }));
      compiled.set(fma, module);
    }
    return new WasmKernels(module, fma, options.initialHeapBytes ?? 1 << 20);
  }

  /** As create, compiling asynchronously (for a browser's main thread). */
  static async createAsync(options: WasmKernelsOptions = {}): Promise<WasmKernels> {
    const fma = resolveFma(options.fma, detectWasmSupport());
    let module = compiled.get(fma);
    if (!module) {
      module = await WebAssembly.compile(buildKernelModule({ fma }));
      compiled.set(fma, module);
    }
    return new WasmKernels(module, fma, options.initialHeapBytes ?? 1 << 20);
  }

  // ---------------------------------------------------------------- linear algebra

  /** out (m, n) (+)= op(a) (m, k) op(b) (k, n). out must not alias a or b. */
  matmul(a: number, b: number, out: number, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    this.k.matmul(a, b, out, m, k, n, (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0));
  }

  /** Dense forward: out (m, n) = act(x (m, k) W (k, n) + bias (n)); bias 0 for none. out must not alias x or W. */
  linearForward(x: number, w: number, bias: number, out: number, m: number, k: number, n: number, activation: Activation, alpha: number): void {
    this.k.linear_forward(x, w, bias, out, m, k, n, ACTIVATION_CODES[activation], alpha);
  }

  /** dW (in, out) (+)= x (batch, in)^T g (batch, out); db (out) (+)= column sums of g (db 0: skipped). */
  linearParamGrads(x: number, g: number, dW: number, db: number, batch: number, inFeatures: number, outFeatures: number, accumulate: boolean): void {
    this.k.linear_param_grads(x, g, dW, db, batch, inFeatures, outFeatures, accumulate ? 1 : 0);
  }

  /**
   * out (batch, in) = (g (batch, out) W^T) * act'(yPrev): W (in, out); yPrev (batch, in) the
   * previous layer's output and `activation` its activation (identity, or yPrev 0, for g W^T alone).
   * out may be yPrev only when the activation is identity.
   */
  linearInputGrad(g: number, w: number, yPrev: number, out: number, batch: number, outFeatures: number, inFeatures: number, activation: Activation, alpha: number): void {
    this.k.linear_input_grad(g, w, yPrev, out, batch, outFeatures, inFeatures, ACTIVATION_CODES[activation], alpha);
  }

  // ---------------------------------------------------------------- layers

  /** out (rows, cols) = act(x + bias); bias 0 for none; out may be x. */
  biasActivation(x: number, bias: number, out: number, rows: number, cols: number, activation: Activation, alpha: number): void {
    this.k.bias_act(x, out, rows, cols, cols * 4, bias, ACTIVATION_CODES[activation], alpha);
  }

  /** gradIn = act'(y) applied to gradOut; gradIn may be gradOut. */
  activationBackward(activation: Activation, y: number, gradOut: number, gradIn: number, rows: number, cols: number, alpha: number): void {
    this.k.act_backward(y, gradOut, gradIn, rows, cols, cols * 4, ACTIVATION_CODES[activation], alpha);
  }

  /**
   * LayerNorm over the rows of x (rows, cols) and its activation epilogue (kernels/layer-norm.ts):
   * out = act((x - mean) rstd gamma + beta), stats (rows, 2) <- (mean, rstd) per row. out and
   * stats must not alias an input. Not softmax (an elementwise activation only).
   */
  layerNorm(x: number, gamma: number, beta: number, out: number, stats: number, rows: number, cols: number, eps: number, activation: Activation, alpha: number): void {
    // The float scalars go through the argument block (see ADAM_ARGS): stores never allocate.
    const a = this.heap.f32();
    a[ARGS + LAYER_NORM_ARGS.eps] = eps;
    a[ARGS + LAYER_NORM_ARGS.alpha] = alpha;
    this.k.layer_norm(x, gamma, beta, out, stats, rows, cols, ACTIVATION_CODES[activation], ARGS_PTR);
  }

  /**
   * LayerNorm's backward from the forward's x, gamma and stats, dy first through act'(y) (y 0 when
   * the activation is identity): dgamma, dbeta (cols) (+)= the column sums of dy xhat and dy, and
   * dx <- the input gradient unless dx is 0. dx may be dy; no other output may alias anything.
   */
  layerNormBackward(
    x: number,
    gamma: number,
    stats: number,
    dy: number,
    y: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    cols: number,
    accumulate: boolean,
    activation: Activation,
    alpha: number,
  ): void {
    this.heap.f32()[ARGS + LAYER_NORM_ARGS.alpha] = alpha;
    this.k.layer_norm_backward(x, gamma, stats, dy, y, dx, dgamma, dbeta, rows, cols, accumulate ? 1 : 0, ACTIVATION_CODES[activation], ARGS_PTR);
  }

  // ---------------------------------------------------------------- reductions

  /** out (cols) (+)= sum over rows of x (rows, cols). */
  columnSum(x: number, out: number, rows: number, cols: number, accumulate: boolean): void {
    this.k.column_sum(x, out, rows, cols, accumulate ? 1 : 0);
  }

  rowMax(x: number, out: number, rows: number, cols: number): void {
    this.k.row_max(x, out, rows, cols);
  }

  /** out[r] = index of the first maximum of row r (as a float). */
  rowArgmax(x: number, out: number, rows: number, cols: number): void {
    this.k.row_argmax(x, out, rows, cols);
  }

  /** *out (+)= sum of x^2 over n floats (summed in float64, stored as float32). */
  sumSquares(x: number, n: number, out: number, accumulate: boolean): void {
    this.k.sum_squares(x, n, out, accumulate ? 1 : 0);
  }

  /** x *= min(1, maxNorm / (sqrt(*sumSquares) + 1e-6)). */
  clipByGlobalNorm(x: number, n: number, sumSquares: number, maxNorm: number): void {
    this.k.clip_scale(x, n, sumSquares, maxNorm);
  }

  // ---------------------------------------------------------------- elementwise

  fill(out: number, n: number, value: number): void {
    this.k.fill(out, n, value);
  }

  /** dst = src over n floats (overlap allowed). */
  copy(src: number, dst: number, n: number): void {
    this.k.copy(src, dst, n);
  }

  scale(x: number, out: number, n: number, alpha: number): void {
    this.k.scale(x, out, n, alpha);
  }

  /** out = a + b c (out may alias any input). */
  addMul(a: number, b: number, c: number, out: number, n: number): void {
    this.k.add_mul(a, b, c, out, n);
  }

  /** dst += t (src - dst). */
  lerp(dst: number, src: number, n: number, t: number): void {
    this.k.lerp(dst, src, n, t);
  }

  // ---------------------------------------------------------------- optimisers

  /**
   * One Adam step over n floats of a parameter arena (torch.optim.Adam / AdamW as optimizers.ts).
   * Fused options: with `clipSumSquares` (a pointer to the summed squares of the gradient arena)
   * the gradient is first clipped to global norm `maxNorm` (and stored back clipped); with `target`
   * the target arena then moves by tau toward the new parameters.
   */
  adam(param: number, grad: number, m: number, v: number, n: number, hp: AdamHyperParameters, clipSumSquares = 0, maxNorm = 0, target = 0, tau = 0): void {
    const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
    const invSqrtCorrection2 = 1 / Math.sqrt(1 - Math.pow(hp.beta2, hp.step));
    this.adamStep(param, grad, m, v, n, hp, stepSize, invSqrtCorrection2, clipSumSquares, maxNorm, target, tau);
  }

  /**
   * One RAdam step (torch.optim.RAdam, as optimizers.ts) once its rectification applies
   * (radamRectification(hp) = `rectification` > 0): the adam kernel with the rectification in its
   * step size and no bias correction of v. Before that the step has no denominator, which the
   * kernel lacks: the caller runs the TypeScript kernel (wasm-ops.ts).
   */
  radamRectified(param: number, grad: number, m: number, v: number, n: number, hp: RAdamHyperParameters, rectification: number, clipSumSquares = 0, maxNorm = 0, target = 0, tau = 0): void {
    const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
    this.adamStep(param, grad, m, v, n, hp, stepSize * rectification, 1, clipSumSquares, maxNorm, target, tau);
  }

  /** The adam kernel: p -= stepSize m / (sqrt(v) invSqrtCorrection2 + eps), with Adam's decay and fusions. */
  private adamStep(
    param: number,
    grad: number,
    m: number,
    v: number,
    n: number,
    hp: AdamHyperParameters,
    stepSize: number,
    invSqrtCorrection2: number,
    clipSumSquares: number,
    maxNorm: number,
    target: number,
    tau: number,
  ): void {
    // The float scalars go through the argument block (see ADAM_ARGS): stores never allocate.
    const a = this.heap.f32();
    a[ARGS + ADAM_ARGS.beta1] = hp.beta1;
    a[ARGS + ADAM_ARGS.beta2] = hp.beta2;
    a[ARGS + ADAM_ARGS.oneMinusBeta1] = 1 - hp.beta1;
    a[ARGS + ADAM_ARGS.oneMinusBeta2] = 1 - hp.beta2;
    a[ARGS + ADAM_ARGS.stepSize] = stepSize;
    a[ARGS + ADAM_ARGS.invSqrtCorrection2] = invSqrtCorrection2;
    a[ARGS + ADAM_ARGS.eps] = hp.eps;
    a[ARGS + ADAM_ARGS.l2] = hp.decoupledWeightDecay ? 0 : hp.weightDecay;
    a[ARGS + ADAM_ARGS.decay] = hp.decoupledWeightDecay ? 1 - hp.lr * hp.weightDecay : 1;
    a[ARGS + ADAM_ARGS.maxNorm] = maxNorm;
    a[ARGS + ADAM_ARGS.tau] = tau;
    this.k.adam(param, grad, m, v, n, ARGS_PTR, clipSumSquares, target);
  }

  /** One SGD step (torch.optim.SGD), with the same fused options as adam. */
  sgd(param: number, grad: number, velocity: number, n: number, hp: SgdHyperParameters, clipSumSquares = 0, maxNorm = 0, target = 0, tau = 0): void {
    const a = this.heap.f32();
    a[ARGS + SGD_ARGS.lr] = hp.lr;
    a[ARGS + SGD_ARGS.momentum] = hp.momentum;
    a[ARGS + SGD_ARGS.oneMinusDampening] = 1 - hp.dampening;
    a[ARGS + SGD_ARGS.weightDecay] = hp.weightDecay;
    a[ARGS + SGD_ARGS.maxNorm] = maxNorm;
    a[ARGS + SGD_ARGS.tau] = tau;
    const flags = (hp.momentum !== 0 ? 1 : 0) | (hp.nesterov ? 2 : 0) | (hp.step === 1 ? 4 : 0);
    this.k.sgd(param, grad, velocity, n, ARGS_PTR, flags, clipSumSquares, target);
  }

  // ---------------------------------------------------------------- DQN

  /**
   * The DQN loss step (kernels/dqn.ts): TD targets r + gamma (1 - terminated) V(s') (or
   * r + discounts[r] V(s') when `discounts` is not 0) from qNext (the
   * target network on s') and optionally qNextOnline (Double DQN; 0 for max), stored in `targets`
   * unless it is 0, the loss at the chosen actions into *lossOut, and its gradient scattered into
   * gradQ (batch, nActions).
   */
  tdLoss(
    qNext: number,
    qNextOnline: number,
    q: number,
    actions: number,
    rewards: number,
    terminated: number,
    gamma: number,
    gradQ: number,
    lossOut: number,
    targets: number,
    batch: number,
    nActions: number,
    kind: 'mse' | 'huber',
    delta: number,
    /** Per-row discounts replacing gamma (n-step returns; 0: none). */
    discounts = 0,
  ): void {
    const bad = this.k.td_loss(qNext, qNextOnline, q, actions, rewards, terminated, gamma, gradQ, lossOut, targets, batch, nActions, TD_LOSS_CODES[kind], delta, discounts) as number;
    if (bad !== 0) {
      const value = this.heap.f32()[(actions >>> 2) + bad - 1];
      throw new InvalidArgumentError(`tdLoss: action ${value} in row ${bad - 1} is not an integer in [0, ${nActions})`);
    }
  }
}
