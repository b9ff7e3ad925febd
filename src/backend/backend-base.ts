/**
 * What every backend shares, written once: argument validation (the checks of validate.ts),
 * default values (op-defaults.ts), tensor bookkeeping (ownership, disposal, live counts) and the
 * destroyed state. A device supplies only what differs, in the manner of tinygrad's
 * `runtime/ops_*.py`: storage (allocate, release, upload, download) and `RawOps`, the ops on
 * already validated tensors with every default applied.
 */
import type {
  Activation,
  AccumulateOption,
  AdamFusion,
  AdamHyperParameters,
  Backend,
  BackendName,
  BackendStats,
  DType,
  EnvStepOf,
  EpsilonGreedyOf,
  FloatArray,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LayerNormBackwardOf,
  LayerNormOf,
  LossKind,
  LossOptions,
  MatmulOptions,
  PpoLossOf,
  QLambdaReturnsOf,
  RAdamHyperParameters,
  SgdHyperParameters,
  Shape,
  TdLossArgs,
  TdLossOf,
  Tensor,
} from './backend.js';
import { DeviceTensor, shapeSize } from './device-tensor.js';
import type { GaeOf, PolicySampleOf } from './policy-ops.js';
import { InvalidArgumentError } from '../errors.js';
import { OP_DEFAULTS } from './op-defaults.js';
import * as v from './validate.js';

/**
 * The defaults, read once into module constants: a default read from an object's double field
 * inside an op is re-boxed on every call by V8's optimising compiler (a 16-byte allocation per op,
 * measured with test/support/backend-gc-probe.ts); a module constant is passed as it is.
 */
const LEAKY_SLOPE: number = OP_DEFAULTS.leakySlope;
const HUBER_DELTA: number = OP_DEFAULTS.huberDelta;
const CROSS_ENTROPY_EPS: number = OP_DEFAULTS.crossEntropyEps;
const LAYER_NORM_EPS: number = OP_DEFAULTS.layerNormEps;

/** A matmul with its dimensions after the transposes resolved: op(a) (m, k) @ op(b) (k, n). */
export interface MatmulCall {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
}

/** A validated tdLoss: its arguments over the device's tensors (or their storage), every default applied, and the batch size. */
export interface TdLossCall<T> extends TdLossOf<T> {
  batch: number;
}

/** A validated layerNorm: its arguments over the device's tensors (or their storage), eps applied, and x's shape (B, n). */
export interface LayerNormCall<T> extends LayerNormOf<T> {
  rows: number;
  cols: number;
}

/** A validated layerNormBackward: its arguments over the device's tensors (or their storage), defaults applied, and x's shape (B, n). */
export interface LayerNormBackwardCall<T> extends LayerNormBackwardOf<T> {
  rows: number;
  cols: number;
}

/** A validated qLambdaReturns: its arguments over the device's tensors (or their storage), and the rollout's T steps, N envs and A actions. */
export interface QLambdaReturnsCall<T> extends QLambdaReturnsOf<T> {
  steps: number;
  envs: number;
  actions: number;
}

/** A validated ppoLoss: its arguments over the device's tensors (or their storage), and out's shape: B rows of k columns (actions or action dimensions). */
export interface PpoLossCall<T> extends PpoLossOf<T> {
  batch: number;
  k: number;
}

/** A validated envStep: its arguments over the device's tensors (or their storage), and the number of envs N. */
export interface EnvStepCall<T> extends EnvStepOf<T> {
  envs: number;
}

/** A validated epsilonGreedy: its arguments over the device's tensors, with N envs and A actions. */
export interface EpsilonGreedyCall<T> extends EpsilonGreedyOf<T> {
  envs: number;
  nActions: number;
}

/** A validated gaeAdvantages: its arguments over the device's tensors (or their storage), and the rollout's T steps and N envs. */
export interface GaeCall<T> extends GaeOf<T> {
  steps: number;
  envs: number;
}

/** A validated policySample: its arguments over the device's tensors (or their storage), with N rows and k columns of out. */
export interface PolicySampleCall<T> extends PolicySampleOf<T> {
  rows: number;
  cols: number;
}

/**
 * The ops a device implements. Every argument has been validated (shapes, aliasing, scalars) and
 * every tensor belongs to the backend and is alive; optional arguments arrive with their defaults.
 */
export interface RawOps<T> {
  fill(out: T, value: number): void;
  copy(src: T, dst: T): void;
  scale(x: T, alpha: number, out: T): void;
  addMul(a: T, b: T, c: T, out: T): void;
  lerp(dst: T, src: T, t: number): void;
  matmul(a: T, b: T, out: T, call: MatmulCall): void;
  columnSum(x: T, out: T, accumulate: boolean): void;
  linear(x: T, w: T, bias: T | null, activation: Activation, out: T, alpha: number): void;
  linearGrad(x: T, g: T, dW: T, db: T | null, accumulate: boolean): void;
  /** y null means no activation (the plain input gradient). */
  linearInputGrad(g: T, w: T, y: T | null, activation: Activation, out: T, alpha: number): void;
  tdLoss(call: TdLossCall<T>): void;
  layerNorm(call: LayerNormCall<T>): void;
  layerNormBackward(call: LayerNormBackwardCall<T>): void;
  qLambdaReturns(call: QLambdaReturnsCall<T>): void;
  ppoLoss(call: PpoLossCall<T>): void;
  envStep(call: EnvStepCall<T>): void;
  epsilonGreedy(call: EpsilonGreedyCall<T>): void;
  gaeAdvantages(call: GaeCall<T>): void;
  policySample(call: PolicySampleCall<T>): void;
  biasActivation(x: T, bias: T | null, activation: Activation, out: T, alpha: number): void;
  activationBackward(activation: Activation, y: T, gradOut: T, gradIn: T, alpha: number): void;
  gatherColumns(x: T, indices: T, out: T): void;
  gatherRows(x: T, indices: T, out: T): void;
  scatterColumns(values: T, indices: T, out: T): void;
  rowMax(x: T, out: T): void;
  rowArgmax(x: T, out: T): void;
  duelingCombine(value: T, advantage: T, q: T): void;
  duelingBackward(gradQ: T, gradValue: T, gradAdvantage: T): void;
  loss(kind: LossKind, pred: T, target: T, lossOut: T, grad: T | null, delta: number, eps: number): void;
  sumSquares(x: T, out: T, accumulate: boolean): void;
  clipByGlobalNorm(x: T, sumSquares: T, maxNorm: number): void;
  /** With clipSumSquares, the gradient is clipped first; with polyakTarget, the target follows after. */
  adam(param: T, grad: T, m: T, v: T, hp: AdamHyperParameters, clipSumSquares: T | null, maxNorm: number, polyakTarget: T | null, tau: number): void;
  /** As adam, for torch.optim.RAdam. */
  radam(param: T, grad: T, m: T, v: T, hp: RAdamHyperParameters, clipSumSquares: T | null, maxNorm: number, polyakTarget: T | null, tau: number): void;
  sgd(param: T, grad: T, velocity: T, hp: SgdHyperParameters): void;
}

/** Work counters a device keeps (see BackendStats). */
export interface DeviceCounters {
  dispatches: number;
  submits: number;
  readbacks: number;
}

export abstract class BackendBase<S> implements Backend {
  abstract readonly name: BackendName;
  abstract readonly dtype: DType;
  /** See Backend.describe: the CPU backend's kernels, the WebGPU backend's adapter. */
  abstract describe(): string;
  /** The class name, for error messages ('CpuBackend', ...): survives minification. */
  protected abstract readonly kind: string;
  /** The device's ops; tensors reach them only through the validating methods below. */
  protected abstract readonly ops: RawOps<DeviceTensor<S>>;
  private readonly live = new Set<DeviceTensor<S>>();
  private bytes = 0;
  private destroyed = false;
  private readonly matmulCall: MatmulCall = { m: 0, k: 0, n: 0, transA: false, transB: false, accumulate: false };
  private tdCall: TdLossCall<DeviceTensor<S>> | null = null;
  private layerNormCall: LayerNormCall<DeviceTensor<S>> | null = null;
  private layerNormBackwardCall: LayerNormBackwardCall<DeviceTensor<S>> | null = null;
  private qLambdaCall: QLambdaReturnsCall<DeviceTensor<S>> | null = null;
  private ppoLossCall: PpoLossCall<DeviceTensor<S>> | null = null;
  private envStepCall: EnvStepCall<DeviceTensor<S>> | null = null;
  private epsilonGreedyCall: EpsilonGreedyCall<DeviceTensor<S>> | null = null;
  private gaeCall: GaeCall<DeviceTensor<S>> | null = null;
  private policySampleCall: PolicySampleCall<DeviceTensor<S>> | null = null;
  private readonly release = (t: DeviceTensor<S>, storage: S): void => {
    if (!this.live.delete(t)) return;
    this.bytes -= this.storageBytes(storage);
    if (!this.destroyed) this.freeStorage(storage);
  };

  // ---------------------------------------------------------------- what a device supplies

  /** New storage for `size` elements: zero-filled, or holding `data` (of length `size`) when given. */
  protected abstract allocateStorage(size: number, label: string, data: ArrayLike<number> | undefined): S;
  /** Takes back the storage of a disposed tensor (to a pool, or freed). */
  protected abstract freeStorage(storage: S): void;
  /** The storage of `size` elements starting `offset` elements into `storage` (shared, not copied). */
  protected abstract viewStorage(storage: S, offset: number, size: number): S;
  /** Bytes held by a storage (for stats). */
  protected abstract storageBytes(storage: S): number;
  /** Overwrites `t[offset .. offset + data.length)`. */
  protected abstract upload(t: DeviceTensor<S>, data: ArrayLike<number>, offset: number): void;
  /** The first t.size values of t, into `dst` when given. */
  protected abstract download(t: DeviceTensor<S>, dst: FloatArray | undefined): Promise<FloatArray>;
  /** Submits recorded work (a no-op on synchronous devices). */
  protected abstract flushDevice(): void;
  /** Resolves when all submitted work has finished. */
  protected abstract syncDevice(): Promise<void>;
  /** The device's work counters. */
  protected abstract counters(): DeviceCounters;
  /** Releases the device's own resources (tensors were disposed already). */
  protected abstract destroyDevice(): void;
  /** Throws when the device cannot be used (lost, or a pending asynchronous error). */
  protected checkDevice(): void {}

  // ---------------------------------------------------------------- storage

  tensor(shape: Shape, data?: ArrayLike<number>, label = 'tensor'): Tensor {
    this.checkUsable();
    v.validateTensorData(shape, data);
    const storage = this.allocateStorage(shapeSize(shape), label, data);
    const t = new DeviceTensor<S>(shape, storage, label, this, this.release);
    this.live.add(t);
    this.bytes += this.storageBytes(storage);
    return t;
  }

  view(base: Tensor, offset: number, shape: Shape, label?: string): Tensor {
    this.checkUsable();
    v.validateView(base, offset, shape);
    const parent = this.own(base);
    const storage = this.viewStorage(parent.storage, offset, shapeSize(shape));
    return new DeviceTensor<S>(shape, storage, label ?? `${parent.label}[${offset}:]`, this, null, { parent, offset });
  }

  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    this.checkUsable();
    v.validateWrite(t, data, offset);
    if (data.length > 0) this.upload(this.own(t), data, offset);
  }

  /** Async throughout: a bad argument rejects the promise, as a failed readback does. */
  async read(t: Tensor, dst?: FloatArray): Promise<FloatArray> {
    this.checkUsable();
    v.validateRead(t, dst);
    return this.download(this.own(t), dst);
  }

  flush(): void {
    this.checkUsable();
    this.flushDevice();
  }

  async sync(): Promise<void> {
    this.checkUsable();
    await this.syncDevice();
    this.checkUsable();
  }

  stats(): BackendStats {
    return { tensorsAlive: this.live.size, bytesAlive: this.bytes, ...this.counters() };
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const t of [...this.live]) t.dispose();
    this.destroyed = true;
    this.destroyDevice();
  }

  // ---------------------------------------------------------------- elementwise and copies

  fill(out: Tensor, value: number): void {
    this.checkUsable();
    v.validateFill(out, value);
    this.ops.fill(this.own(out), value);
  }

  copy(src: Tensor, dst: Tensor): void {
    this.checkUsable();
    v.validateCopy(src, dst);
    if (src !== dst) this.ops.copy(this.own(src), this.own(dst));
  }

  scale(x: Tensor, alpha: number, out: Tensor): void {
    this.checkUsable();
    v.validateScale(x, alpha, out);
    this.ops.scale(this.own(x), alpha, this.own(out));
  }

  addMul(a: Tensor, b: Tensor, c: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateAddMul(a, b, c, out);
    this.ops.addMul(this.own(a), this.own(b), this.own(c), this.own(out));
  }

  lerp(dst: Tensor, src: Tensor, t: number): void {
    this.checkUsable();
    v.validateLerp(dst, src, t);
    if (dst !== src) this.ops.lerp(this.own(dst), this.own(src), t);
  }

  // ---------------------------------------------------------------- linear algebra

  matmul(a: Tensor, b: Tensor, out: Tensor, options?: MatmulOptions): void {
    this.checkUsable();
    const call = this.matmulCall;
    v.validateMatmul(a, b, out, options, call);
    call.transA = options?.transA === true;
    call.transB = options?.transB === true;
    call.accumulate = options?.accumulate === true;
    this.ops.matmul(this.own(a), this.own(b), this.own(out), call);
  }

  columnSum(x: Tensor, out: Tensor, options?: AccumulateOption): void {
    this.checkUsable();
    v.validateColumnSum(x, out);
    this.ops.columnSum(this.own(x), this.own(out), options?.accumulate === true);
  }

  // ---------------------------------------------------------------- fused layer ops

  linear(x: Tensor, w: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha: number = LEAKY_SLOPE): void {
    this.checkUsable();
    v.validateLinear(x, w, bias, activation, out, alpha);
    this.ops.linear(this.own(x), this.own(w), this.ownOrNull(bias), activation, this.own(out), alpha);
  }

  linearGrad(x: Tensor, g: Tensor, dW: Tensor, db: Tensor | null, options?: AccumulateOption): void {
    this.checkUsable();
    v.validateLinearGrad(x, g, dW, db);
    this.ops.linearGrad(this.own(x), this.own(g), this.own(dW), this.ownOrNull(db), options?.accumulate === true);
  }

  linearInputGrad(g: Tensor, w: Tensor, y: Tensor | null, activation: Activation, out: Tensor, alpha: number = LEAKY_SLOPE): void {
    this.checkUsable();
    v.validateLinearInputGrad(g, w, y, activation, out, alpha);
    const plain = y === null || activation === 'identity';
    this.ops.linearInputGrad(this.own(g), this.own(w), plain ? null : this.own(y), activation, this.own(out), alpha);
  }

  // ---------------------------------------------------------------- the DQN loss

  tdLoss(args: TdLossArgs): void {
    this.checkUsable();
    const delta = args.delta ?? HUBER_DELTA;
    const quantiles = args.quantiles ?? 1;
    const batch = v.validateTdLoss(args, delta, quantiles);
    const call = (this.tdCall ??= {} as TdLossCall<DeviceTensor<S>>);
    call.q = this.own(args.q);
    call.nextQ = this.own(args.nextQ);
    call.actions = this.own(args.actions);
    call.rewards = this.own(args.rewards);
    call.terminated = this.own(args.terminated);
    call.gamma = args.gamma;
    call.discounts = this.ownOrNull(args.discounts ?? null);
    call.double = args.double;
    call.loss = args.loss;
    call.delta = delta;
    call.quantiles = quantiles;
    call.munchausen = args.munchausen ?? null;
    call.lossOut = this.own(args.lossOut);
    call.gradQ = this.own(args.gradQ);
    call.targets = this.ownOrNull(args.targets ?? null);
    call.batch = batch;
    this.ops.tdLoss(call);
  }

  // ---------------------------------------------------------------- layer normalisation

  layerNorm(args: LayerNormArgs): void {
    this.checkUsable();
    const eps = args.eps ?? LAYER_NORM_EPS;
    const activation = args.activation ?? 'identity';
    const alpha = args.alpha ?? LEAKY_SLOPE;
    v.validateLayerNorm(args, eps, activation, alpha);
    const call = (this.layerNormCall ??= {} as LayerNormCall<DeviceTensor<S>>);
    call.x = this.own(args.x);
    call.gamma = this.own(args.gamma);
    call.beta = this.own(args.beta);
    call.eps = eps;
    call.out = this.own(args.out);
    call.stats = this.own(args.stats);
    call.activation = activation;
    call.alpha = alpha;
    call.rows = args.x.rows;
    call.cols = args.x.cols;
    this.ops.layerNorm(call);
  }

  layerNormBackward(args: LayerNormBackwardArgs): void {
    this.checkUsable();
    const activation = args.activation ?? 'identity';
    const alpha = args.alpha ?? LEAKY_SLOPE;
    v.validateLayerNormBackward(args, activation, alpha);
    const call = (this.layerNormBackwardCall ??= {} as LayerNormBackwardCall<DeviceTensor<S>>);
    call.x = this.own(args.x);
    call.gamma = this.own(args.gamma);
    call.stats = this.own(args.stats);
    call.dy = this.own(args.dy);
    call.dx = this.ownOrNull(args.dx ?? null);
    call.dgamma = this.own(args.dgamma);
    call.dbeta = this.own(args.dbeta);
    call.accumulate = args.accumulate === true;
    // y only matters to an activation's derivative (validated then); identity reads none.
    call.y = activation === 'identity' ? null : this.ownOrNull(args.y ?? null);
    call.activation = activation;
    call.alpha = alpha;
    call.rows = args.x.rows;
    call.cols = args.x.cols;
    this.ops.layerNormBackward(call);
  }

  // ---------------------------------------------------------------- returns over a rollout

  qLambdaReturns(args: QLambdaReturnsOf<Tensor>): void {
    this.checkUsable();
    v.validateQLambdaReturns(args);
    const call = (this.qLambdaCall ??= {} as QLambdaReturnsCall<DeviceTensor<S>>);
    call.rewards = this.own(args.rewards);
    call.terminated = this.own(args.terminated);
    call.truncated = this.own(args.truncated);
    call.nextQ = this.own(args.nextQ);
    call.gamma = args.gamma;
    call.lambda = args.lambda;
    call.returns = this.own(args.returns);
    call.steps = args.rewards.rows;
    call.envs = args.rewards.cols;
    call.actions = args.nextQ.cols;
    this.ops.qLambdaReturns(call);
  }

  // ---------------------------------------------------------------- policy-gradient losses

  ppoLoss(args: PpoLossOf<Tensor>): void {
    this.checkUsable();
    v.validatePpoLoss(args);
    const call = (this.ppoLossCall ??= {} as PpoLossCall<DeviceTensor<S>>);
    call.head = args.head;
    call.out = this.own(args.out);
    call.logStd = this.ownOrNull(args.logStd);
    call.actions = this.own(args.actions);
    call.oldLogProb = this.own(args.oldLogProb);
    call.advantages = this.own(args.advantages);
    call.normalizeAdvantages = args.normalizeAdvantages;
    call.clipCoef = args.clipCoef;
    call.entCoef = args.entCoef;
    call.values = this.own(args.values);
    call.returns = this.own(args.returns);
    call.oldValues = this.own(args.oldValues);
    call.valueClip = args.valueClip;
    call.vfCoef = args.vfCoef;
    call.gradOut = this.own(args.gradOut);
    call.gradLogStd = this.ownOrNull(args.gradLogStd);
    call.gradValues = this.own(args.gradValues);
    call.stats = this.own(args.stats);
    call.batch = args.out.rows;
    call.k = args.out.cols;
    this.ops.ppoLoss(call);
  }

  // ---------------------------------------------------------------- environments on the device

  envStep(args: EnvStepOf<Tensor>): void {
    this.checkUsable();
    v.validateEnvStep(args);
    const call = (this.envStepCall ??= {} as EnvStepCall<DeviceTensor<S>>);
    call.env = args.env;
    call.seed = args.seed;
    call.state = this.own(args.state);
    call.actions = this.own(args.actions);
    call.obs = this.own(args.obs);
    call.finalObs = this.own(args.finalObs);
    call.rewards = this.own(args.rewards);
    call.terminated = this.own(args.terminated);
    call.truncated = this.own(args.truncated);
    call.episodes = this.own(args.episodes);
    call.envs = args.state.cols;
    this.ops.envStep(call);
  }

  epsilonGreedy(args: EpsilonGreedyOf<Tensor>): void {
    this.checkUsable();
    v.validateEpsilonGreedy(args);
    const call = (this.epsilonGreedyCall ??= {} as EpsilonGreedyCall<DeviceTensor<S>>);
    call.q = this.own(args.q);
    call.epsilon = args.epsilon;
    call.seed = args.seed;
    call.counter = args.counter;
    call.actions = this.own(args.actions);
    call.envs = args.q.rows;
    call.nActions = args.q.cols;
    this.ops.epsilonGreedy(call);
  }

  // ---------------------------------------------------------------- policy-gradient ops

  gaeAdvantages(args: GaeOf<Tensor>): void {
    this.checkUsable();
    v.validateGae(args);
    const call = (this.gaeCall ??= {} as GaeCall<DeviceTensor<S>>);
    call.rewards = this.own(args.rewards);
    call.values = this.own(args.values);
    call.nextValues = this.own(args.nextValues);
    call.terminated = this.own(args.terminated);
    call.truncated = this.own(args.truncated);
    call.gamma = args.gamma;
    call.lambda = args.lambda;
    call.advantages = this.own(args.advantages);
    call.returns = this.own(args.returns);
    call.steps = args.rewards.rows;
    call.envs = args.rewards.cols;
    this.ops.gaeAdvantages(call);
  }

  policySample(args: PolicySampleOf<Tensor>): void {
    this.checkUsable();
    v.validatePolicySample(args);
    const call = (this.policySampleCall ??= {} as PolicySampleCall<DeviceTensor<S>>);
    call.head = args.head;
    call.out = this.own(args.out);
    call.logStd = this.ownOrNull(args.logStd);
    call.seed = args.seed;
    call.counter = args.counter;
    call.actions = this.own(args.actions);
    call.logProb = this.own(args.logProb);
    call.rows = args.out.rows;
    call.cols = args.out.cols;
    this.ops.policySample(call);
  }

  // ---------------------------------------------------------------- layers

  biasActivation(x: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha: number = LEAKY_SLOPE): void {
    this.checkUsable();
    v.validateBiasActivation(x, bias, activation, out, alpha);
    this.ops.biasActivation(this.own(x), this.ownOrNull(bias), activation, this.own(out), alpha);
  }

  activationBackward(activation: Activation, y: Tensor, gradOut: Tensor, gradIn: Tensor, alpha: number = LEAKY_SLOPE): void {
    this.checkUsable();
    v.validateActivationBackward(activation, y, gradOut, gradIn, alpha);
    this.ops.activationBackward(activation, this.own(y), this.own(gradOut), this.own(gradIn), alpha);
  }

  // ---------------------------------------------------------------- indexing and reductions over rows

  gatherRows(x: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateGatherRows(x, indices, out);
    this.ops.gatherRows(this.own(x), this.own(indices), this.own(out));
  }

  gatherColumns(x: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateGatherColumns(x, indices, out);
    this.ops.gatherColumns(this.own(x), this.own(indices), this.own(out));
  }

  scatterColumns(values: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateScatterColumns(values, indices, out);
    this.ops.scatterColumns(this.own(values), this.own(indices), this.own(out));
  }

  rowMax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowMax', x, out);
    this.ops.rowMax(this.own(x), this.own(out));
  }

  rowArgmax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowArgmax', x, out);
    this.ops.rowArgmax(this.own(x), this.own(out));
  }

  duelingCombine(value: Tensor, advantage: Tensor, q: Tensor): void {
    this.checkUsable();
    v.validateDuelingCombine(value, advantage, q);
    this.ops.duelingCombine(this.own(value), this.own(advantage), this.own(q));
  }

  duelingBackward(gradQ: Tensor, gradValue: Tensor, gradAdvantage: Tensor): void {
    this.checkUsable();
    v.validateDuelingBackward(gradQ, gradValue, gradAdvantage);
    this.ops.duelingBackward(this.own(gradQ), this.own(gradValue), this.own(gradAdvantage));
  }

  // ---------------------------------------------------------------- losses

  loss(kind: LossKind, pred: Tensor, target: Tensor, lossOut: Tensor, grad: Tensor | null, options?: LossOptions): void {
    this.checkUsable();
    const delta = options?.delta ?? HUBER_DELTA;
    const eps = options?.eps ?? CROSS_ENTROPY_EPS;
    v.validateLoss(kind, pred, target, lossOut, grad, delta, eps);
    this.ops.loss(kind, this.own(pred), this.own(target), this.own(lossOut), this.ownOrNull(grad), delta, eps);
  }

  // ---------------------------------------------------------------- optimisers and gradient clipping

  sumSquares(x: Tensor, out: Tensor, options?: AccumulateOption): void {
    this.checkUsable();
    v.validateSumSquares(x, out);
    this.ops.sumSquares(this.own(x), this.own(out), options?.accumulate === true);
  }

  clipByGlobalNorm(x: Tensor, sumSquares: Tensor, maxNorm: number): void {
    this.checkUsable();
    v.validateClipByGlobalNorm(x, sumSquares, maxNorm);
    this.ops.clipByGlobalNorm(this.own(x), this.own(sumSquares), maxNorm);
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, vTensor: Tensor, hp: AdamHyperParameters, fusion?: AdamFusion): void {
    this.adamStep('adam', param, grad, m, vTensor, hp, fusion);
  }

  radam(param: Tensor, grad: Tensor, m: Tensor, vTensor: Tensor, hp: RAdamHyperParameters, fusion?: AdamFusion): void {
    this.adamStep('radam', param, grad, m, vTensor, hp, fusion);
  }

  /** adam or radam, which take the same arguments. */
  private adamStep(op: 'adam' | 'radam', param: Tensor, grad: Tensor, m: Tensor, vTensor: Tensor, hp: AdamHyperParameters, fusion: AdamFusion | undefined): void {
    this.checkUsable();
    v.validateAdam(param, grad, m, vTensor, hp, op);
    v.validateAdamFusion(param, grad, m, vTensor, fusion, op);
    const clip = fusion?.clip ?? null;
    const polyak = fusion?.polyak ?? null;
    this.ops[op](
      this.own(param),
      this.own(grad),
      this.own(m),
      this.own(vTensor),
      hp,
      clip === null ? null : this.own(clip.sumSquares),
      clip === null ? 0 : clip.maxNorm,
      polyak === null ? null : this.own(polyak.target),
      polyak === null ? 0 : polyak.tau,
    );
  }

  sgd(param: Tensor, grad: Tensor, velocity: Tensor, hp: SgdHyperParameters): void {
    this.checkUsable();
    v.validateSgd(param, grad, velocity, hp);
    this.ops.sgd(this.own(param), this.own(grad), this.own(velocity), hp);
  }

  // ---------------------------------------------------------------- helpers

  /** Throws if the backend was destroyed or its device cannot be used. */
  protected checkUsable(): void {
    if (this.destroyed) throw new InvalidArgumentError(`${this.kind}: used after destroy()`);
    this.checkDevice();
  }

  /** `t` as this backend's tensor: throws unless it was created here and is alive. Allocates nothing. */
  protected own(t: Tensor): DeviceTensor<S> {
    if (t instanceof DeviceTensor && t.owner === this && !t.disposed) return t as DeviceTensor<S>;
    if (t.disposed) throw new InvalidArgumentError(`tensor '${t.label}' was disposed`);
    throw new InvalidArgumentError(`tensor '${t.label}' does not belong to this ${this.kind}`);
  }

  private ownOrNull(t: Tensor | null): DeviceTensor<S> | null {
    return t === null ? null : this.own(t);
  }
}
