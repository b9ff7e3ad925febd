/**
 * The CPU backend's ops on the plain TypeScript kernels: each validated op of BackendBase runs one
 * of the kernels of this folder on the tensors' typed arrays (`storage.data`, in a JavaScript array
 * or in WASM memory alike). Scratch space is cached and grown on demand, so no op allocates once
 * warm. WasmCpuOps (wasm-ops.ts) overrides the ops the WASM kernels cover.
 */
import type { Activation, AdamHyperParameters, FloatArray, LossKind, RAdamHyperParameters, SgdHyperParameters } from '../backend.js';
import type { EnvStepCall, EpsilonGreedyCall, GaeCall, LayerNormBackwardCall, LayerNormCall, MatmulCall, PolicySampleCall, PpoLossCall, QLambdaReturnsCall, RawOps, TdLossCall } from '../backend-base.js';
import type { DeviceTensor } from '../device-tensor.js';
import type { CpuStorage } from './cpu-storage.js';
import * as act from './activation.js';
import * as elementwise from './elementwise.js';
import * as indexing from './indexing.js';
import { layerNorm, layerNormBackward } from './layer-norm.js';
import { loss as lossKernel } from './losses.js';
import { matmul, type MatmulArgs } from './matmul.js';
import * as optimizers from './optimizers.js';
import * as reductions from './reductions.js';
import { qLambdaReturns } from './returns.js';
import { PpoLossKernel } from './ppo-loss.js';
import { envStep } from './env-step.js';
import { epsilonGreedy } from './acting.js';
import { gaeAdvantages } from './gae.js';
import { policySample } from './policy-sample.js';
import { TdLossKernel } from './td-loss.js';

/** A CPU tensor: its storage's `data` is a Float32Array or a Float64Array of exactly its size. */
export type CpuTensor = DeviceTensor<CpuStorage>;

export class CpuOps implements RawOps<CpuTensor> {
  /** Kernel calls so far (BackendStats.dispatches). */
  calls = 0;
  private rowScratch = new Float64Array(0);
  private readonly td = new TdLossKernel();
  /** The tdLoss call on the tensors' storage arrays, what the TypeScript kernel reads. */
  private readonly tdArrays: TdLossCall<FloatArray> = {
    q: new Float32Array(0),
    nextQ: new Float32Array(0),
    actions: new Float32Array(0),
    rewards: new Float32Array(0),
    terminated: new Float32Array(0),
    discounts: null,
    lossOut: new Float32Array(0),
    gradQ: new Float32Array(0),
    targets: null,
    gamma: 0,
    double: false,
    loss: 'mse',
    delta: 1,
    quantiles: 1,
    munchausen: null,
    batch: 0,
  };
  /** The layerNorm and layerNormBackward calls on the tensors' storage arrays. */
  private readonly layerNormArrays: LayerNormCall<FloatArray> = {
    x: new Float32Array(0),
    gamma: new Float32Array(0),
    beta: new Float32Array(0),
    eps: 0,
    out: new Float32Array(0),
    stats: new Float32Array(0),
    activation: 'identity',
    alpha: 0,
    rows: 0,
    cols: 0,
  };
  private readonly layerNormBackwardArrays: LayerNormBackwardCall<FloatArray> = {
    x: new Float32Array(0),
    gamma: new Float32Array(0),
    stats: new Float32Array(0),
    dy: new Float32Array(0),
    dx: null,
    dgamma: new Float32Array(0),
    dbeta: new Float32Array(0),
    accumulate: false,
    y: null,
    activation: 'identity',
    alpha: 0,
    rows: 0,
    cols: 0,
  };
  /** layerNormBackward's dy act'(y), in the storage's type (grown on demand). */
  private activatedScratch: FloatArray = new Float32Array(0);
  /** The qLambdaReturns call on the tensors' storage arrays. */
  private readonly qLambdaArrays: QLambdaReturnsCall<FloatArray> = {
    rewards: new Float32Array(0),
    terminated: new Float32Array(0),
    truncated: new Float32Array(0),
    nextQ: new Float32Array(0),
    gamma: 0,
    lambda: 0,
    returns: new Float32Array(0),
    steps: 0,
    envs: 0,
    actions: 0,
  };
  private readonly ppo = new PpoLossKernel();
  /** The ppoLoss call on the tensors' storage arrays. */
  private readonly ppoLossArrays: PpoLossCall<FloatArray> = {
    head: 'categorical',
    out: new Float32Array(0),
    logStd: null,
    actions: new Float32Array(0),
    oldLogProb: new Float32Array(0),
    advantages: new Float32Array(0),
    normalizeAdvantages: false,
    clipCoef: 0,
    entCoef: 0,
    values: new Float32Array(0),
    returns: new Float32Array(0),
    oldValues: new Float32Array(0),
    valueClip: 0,
    vfCoef: 0,
    gradOut: new Float32Array(0),
    gradLogStd: null,
    gradValues: new Float32Array(0),
    stats: new Float32Array(0),
    batch: 0,
    k: 0,
  };
  /** The envStep call on the tensors' storage arrays. */
  private readonly envStepArrays: EnvStepCall<FloatArray> = {
    env: 'CartPole-v1',
    seed: 0,
    state: new Float32Array(0),
    actions: new Float32Array(0),
    obs: new Float32Array(0),
    finalObs: new Float32Array(0),
    rewards: new Float32Array(0),
    terminated: new Float32Array(0),
    truncated: new Float32Array(0),
    episodes: new Float32Array(0),
    envs: 0,
  };
  /** The epsilonGreedy call on the tensors' storage arrays. */
  private readonly epsilonGreedyArrays: EpsilonGreedyCall<FloatArray> = {
    q: new Float32Array(0),
    epsilon: 0,
    seed: 0,
    counter: 0,
    actions: new Float32Array(0),
    envs: 0,
    nActions: 0,
  };
  /** The gaeAdvantages call on the tensors' storage arrays. */
  private readonly gaeArrays: GaeCall<FloatArray> = {
    rewards: new Float32Array(0),
    values: new Float32Array(0),
    nextValues: new Float32Array(0),
    terminated: new Float32Array(0),
    truncated: new Float32Array(0),
    gamma: 0,
    lambda: 0,
    advantages: new Float32Array(0),
    returns: new Float32Array(0),
    steps: 0,
    envs: 0,
  };
  /** The policySample call on the tensors' storage arrays. */
  private readonly policySampleArrays: PolicySampleCall<FloatArray> = {
    head: 'categorical',
    out: new Float32Array(0),
    logStd: null,
    seed: 0,
    counter: 0,
    actions: new Float32Array(0),
    logProb: new Float32Array(0),
    rows: 0,
    cols: 0,
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
    elementwise.fill(out.storage.data, value);
  }

  copy(src: CpuTensor, dst: CpuTensor): void {
    this.calls++;
    elementwise.copy(src.storage.data, dst.storage.data, src.size);
  }

  scale(x: CpuTensor, alpha: number, out: CpuTensor): void {
    this.calls++;
    elementwise.scale(x.storage.data, alpha, out.storage.data, x.size);
  }

  addMul(a: CpuTensor, b: CpuTensor, c: CpuTensor, out: CpuTensor): void {
    this.calls++;
    elementwise.addMul(a.storage.data, b.storage.data, c.storage.data, out.storage.data, a.size);
  }

  lerp(dst: CpuTensor, src: CpuTensor, t: number): void {
    this.calls++;
    elementwise.lerp(dst.storage.data, src.storage.data, t, dst.size);
  }

  matmul(a: CpuTensor, b: CpuTensor, out: CpuTensor, call: MatmulCall): void {
    this.calls++;
    this.runMatmul(a, b, out, call.m, call.k, call.n, call.transA, call.transB, call.accumulate);
  }

  columnSum(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    reductions.columnSum(x.storage.data, out.storage.data, x.rows, x.cols, accumulate, this.scratchRow(x.cols));
  }

  linear(x: CpuTensor, w: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.runMatmul(x, w, out, x.rows, x.cols, w.cols, false, false, false);
    act.biasActivation(out.storage.data, bias === null ? null : bias.storage.data, activation, out.storage.data, out.rows, out.cols, alpha);
  }

  linearGrad(x: CpuTensor, g: CpuTensor, dW: CpuTensor, db: CpuTensor | null, accumulate: boolean): void {
    this.calls++;
    this.runMatmul(x, g, dW, x.cols, x.rows, g.cols, true, false, accumulate);
    if (db !== null) reductions.columnSum(g.storage.data, db.storage.data, g.rows, g.cols, accumulate, this.scratchRow(g.cols));
  }

  linearInputGrad(g: CpuTensor, w: CpuTensor, y: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    this.runMatmul(g, w, out, g.rows, g.cols, w.rows, false, true, false);
    if (y !== null) act.activationBackward(activation, y.storage.data, out.storage.data, out.storage.data, out.rows, out.cols, alpha);
  }

  tdLoss(call: TdLossCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.tdArrays;
    arrays.q = call.q.storage.data;
    arrays.nextQ = call.nextQ.storage.data;
    arrays.actions = call.actions.storage.data;
    arrays.rewards = call.rewards.storage.data;
    arrays.terminated = call.terminated.storage.data;
    arrays.discounts = call.discounts === null ? null : call.discounts.storage.data;
    arrays.lossOut = call.lossOut.storage.data;
    arrays.gradQ = call.gradQ.storage.data;
    arrays.targets = call.targets === null ? null : call.targets.storage.data;
    arrays.gamma = call.gamma;
    arrays.double = call.double;
    arrays.loss = call.loss;
    arrays.delta = call.delta;
    arrays.quantiles = call.quantiles;
    arrays.munchausen = call.munchausen;
    arrays.batch = call.batch;
    if (call.munchausen !== null) this.td.runMunchausen(arrays, call.nextQ.cols, call.munchausen);
    else if (call.quantiles > 1) this.td.runQuantiles(arrays, call.nextQ.cols / call.quantiles);
    else this.td.run(arrays, call.nextQ.cols);
  }

  layerNorm(call: LayerNormCall<CpuTensor>): void {
    this.calls++;
    layerNorm(this.layerNormOn(call));
  }

  layerNormBackward(call: LayerNormBackwardCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.layerNormBackwardOn(call);
    const activated = call.activation === 'identity' ? null : this.activatedLike(arrays.dy, call.rows * call.cols);
    layerNormBackward(arrays, this.scratchRow(2 * call.cols), activated);
  }

  /** layerNorm's call on the tensors' storage arrays (one object, refilled on every call). */
  private layerNormOn(call: LayerNormCall<CpuTensor>): LayerNormCall<FloatArray> {
    const arrays = this.layerNormArrays;
    arrays.x = call.x.storage.data;
    arrays.gamma = call.gamma.storage.data;
    arrays.beta = call.beta.storage.data;
    arrays.eps = call.eps;
    arrays.out = call.out.storage.data;
    arrays.stats = call.stats.storage.data;
    arrays.activation = call.activation;
    arrays.alpha = call.alpha;
    arrays.rows = call.rows;
    arrays.cols = call.cols;
    return arrays;
  }

  /** layerNormBackward's call on the tensors' storage arrays (one object, refilled on every call). */
  private layerNormBackwardOn(call: LayerNormBackwardCall<CpuTensor>): LayerNormBackwardCall<FloatArray> {
    const arrays = this.layerNormBackwardArrays;
    arrays.x = call.x.storage.data;
    arrays.gamma = call.gamma.storage.data;
    arrays.stats = call.stats.storage.data;
    arrays.dy = call.dy.storage.data;
    arrays.dx = call.dx === null ? null : call.dx.storage.data;
    arrays.dgamma = call.dgamma.storage.data;
    arrays.dbeta = call.dbeta.storage.data;
    arrays.accumulate = call.accumulate;
    arrays.y = call.y === null ? null : call.y.storage.data;
    arrays.activation = call.activation;
    arrays.alpha = call.alpha;
    arrays.rows = call.rows;
    arrays.cols = call.cols;
    return arrays;
  }

  /** At least `size` values of scratch of the same type as `like` (float32 or float64 storage); the kernels use its first `size`. */
  private activatedLike(like: FloatArray, size: number): FloatArray {
    let s = this.activatedScratch;
    if (s.constructor !== like.constructor || s.length < size) {
      s = like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
      this.activatedScratch = s;
    }
    return s;
  }

  qLambdaReturns(call: QLambdaReturnsCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.qLambdaArrays;
    arrays.rewards = call.rewards.storage.data;
    arrays.terminated = call.terminated.storage.data;
    arrays.truncated = call.truncated.storage.data;
    arrays.nextQ = call.nextQ.storage.data;
    arrays.gamma = call.gamma;
    arrays.lambda = call.lambda;
    arrays.returns = call.returns.storage.data;
    arrays.steps = call.steps;
    arrays.envs = call.envs;
    arrays.actions = call.actions;
    qLambdaReturns(arrays);
  }

  ppoLoss(call: PpoLossCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.ppoLossArrays;
    arrays.head = call.head;
    arrays.out = call.out.storage.data;
    arrays.logStd = call.logStd === null ? null : call.logStd.storage.data;
    arrays.actions = call.actions.storage.data;
    arrays.oldLogProb = call.oldLogProb.storage.data;
    arrays.advantages = call.advantages.storage.data;
    arrays.normalizeAdvantages = call.normalizeAdvantages;
    arrays.clipCoef = call.clipCoef;
    arrays.entCoef = call.entCoef;
    arrays.values = call.values.storage.data;
    arrays.returns = call.returns.storage.data;
    arrays.oldValues = call.oldValues.storage.data;
    arrays.valueClip = call.valueClip;
    arrays.vfCoef = call.vfCoef;
    arrays.gradOut = call.gradOut.storage.data;
    arrays.gradLogStd = call.gradLogStd === null ? null : call.gradLogStd.storage.data;
    arrays.gradValues = call.gradValues.storage.data;
    arrays.stats = call.stats.storage.data;
    arrays.batch = call.batch;
    arrays.k = call.k;
    this.ppo.run(arrays);
  }

  envStep(call: EnvStepCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.envStepArrays;
    arrays.env = call.env;
    arrays.seed = call.seed;
    arrays.state = call.state.storage.data;
    arrays.actions = call.actions.storage.data;
    arrays.obs = call.obs.storage.data;
    arrays.finalObs = call.finalObs.storage.data;
    arrays.rewards = call.rewards.storage.data;
    arrays.terminated = call.terminated.storage.data;
    arrays.truncated = call.truncated.storage.data;
    arrays.episodes = call.episodes.storage.data;
    arrays.envs = call.envs;
    envStep(arrays);
  }

  epsilonGreedy(call: EpsilonGreedyCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.epsilonGreedyArrays;
    arrays.q = call.q.storage.data;
    arrays.epsilon = call.epsilon;
    arrays.seed = call.seed;
    arrays.counter = call.counter;
    arrays.actions = call.actions.storage.data;
    arrays.envs = call.envs;
    arrays.nActions = call.nActions;
    epsilonGreedy(arrays);
  }

  gaeAdvantages(call: GaeCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.gaeArrays;
    arrays.rewards = call.rewards.storage.data;
    arrays.values = call.values.storage.data;
    arrays.nextValues = call.nextValues.storage.data;
    arrays.terminated = call.terminated.storage.data;
    arrays.truncated = call.truncated.storage.data;
    arrays.gamma = call.gamma;
    arrays.lambda = call.lambda;
    arrays.advantages = call.advantages.storage.data;
    arrays.returns = call.returns.storage.data;
    arrays.steps = call.steps;
    arrays.envs = call.envs;
    gaeAdvantages(arrays);
  }

  policySample(call: PolicySampleCall<CpuTensor>): void {
    this.calls++;
    const arrays = this.policySampleArrays;
    arrays.head = call.head;
    arrays.out = call.out.storage.data;
    arrays.logStd = call.logStd === null ? null : call.logStd.storage.data;
    arrays.seed = call.seed;
    arrays.counter = call.counter;
    arrays.actions = call.actions.storage.data;
    arrays.logProb = call.logProb.storage.data;
    arrays.rows = call.rows;
    arrays.cols = call.cols;
    policySample(arrays);
  }

  biasActivation(x: CpuTensor, bias: CpuTensor | null, activation: Activation, out: CpuTensor, alpha: number): void {
    this.calls++;
    act.biasActivation(x.storage.data, bias === null ? null : bias.storage.data, activation, out.storage.data, x.rows, x.cols, alpha);
  }

  activationBackward(activation: Activation, y: CpuTensor, gradOut: CpuTensor, gradIn: CpuTensor, alpha: number): void {
    this.calls++;
    act.activationBackward(activation, y.storage.data, gradOut.storage.data, gradIn.storage.data, y.rows, y.cols, alpha);
  }

  gatherRows(x: CpuTensor, indices: CpuTensor, out: CpuTensor): void {
    this.calls++;
    indexing.gatherRows(x.storage.data, indices.storage.data, out.storage.data, out.rows, x.cols, x.rows);
  }

  gatherColumns(x: CpuTensor, indices: CpuTensor, out: CpuTensor): void {
    this.calls++;
    indexing.gatherColumns(x.storage.data, indices.storage.data, out.storage.data, x.rows, x.cols);
  }

  scatterColumns(values: CpuTensor, indices: CpuTensor, out: CpuTensor): void {
    this.calls++;
    indexing.scatterColumns(values.storage.data, indices.storage.data, out.storage.data, out.rows, out.cols);
  }

  rowMax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    reductions.rowMax(x.storage.data, out.storage.data, x.rows, x.cols);
  }

  rowArgmax(x: CpuTensor, out: CpuTensor): void {
    this.calls++;
    reductions.rowArgmax(x.storage.data, out.storage.data, x.rows, x.cols);
  }

  duelingCombine(value: CpuTensor, advantage: CpuTensor, q: CpuTensor): void {
    this.calls++;
    indexing.duelingCombine(value.storage.data, advantage.storage.data, q.storage.data, advantage.rows, advantage.cols);
  }

  duelingBackward(gradQ: CpuTensor, gradValue: CpuTensor, gradAdvantage: CpuTensor): void {
    this.calls++;
    indexing.duelingBackward(gradQ.storage.data, gradValue.storage.data, gradAdvantage.storage.data, gradQ.rows, gradQ.cols);
  }

  loss(kind: LossKind, pred: CpuTensor, target: CpuTensor, lossOut: CpuTensor, grad: CpuTensor | null, delta: number, eps: number): void {
    this.calls++;
    const value = lossKernel(kind, pred.storage.data, target.storage.data, grad === null ? null : grad.storage.data, pred.rows, pred.cols, delta, eps);
    lossOut.storage.data[0] = value;
  }

  sumSquares(x: CpuTensor, out: CpuTensor, accumulate: boolean): void {
    this.calls++;
    const s = reductions.sumSquares(x.storage.data, x.size);
    const o = out.storage.data;
    o[0] = accumulate ? o[0] + s : s;
  }

  clipByGlobalNorm(x: CpuTensor, sumSquares: CpuTensor, maxNorm: number): void {
    this.calls++;
    optimizers.clipByGlobalNorm(x.storage.data, x.size, sumSquares.storage.data[0], maxNorm);
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
    this.adamStep(optimizers.adam, param, grad, m, v, hp, clipSumSquares, maxNorm, polyakTarget, tau);
  }

  radam(param: CpuTensor, grad: CpuTensor, m: CpuTensor, v: CpuTensor, hp: RAdamHyperParameters, clip: CpuTensor | null, maxNorm: number, target: CpuTensor | null, tau: number): void {
    this.adamStep(optimizers.radam, param, grad, m, v, hp, clip, maxNorm, target, tau);
  }

  /** Clipping, the update `kernel` (Adam's or RAdam's), then the Polyak target, as one op. */
  private adamStep(kernel: typeof optimizers.adam, param: CpuTensor, grad: CpuTensor, m: CpuTensor, v: CpuTensor, hp: AdamHyperParameters, clipSumSquares: CpuTensor | null, maxNorm: number, polyakTarget: CpuTensor | null, tau: number): void {
    this.calls++;
    if (clipSumSquares !== null) optimizers.clipByGlobalNorm(grad.storage.data, grad.size, clipSumSquares.storage.data[0], maxNorm);
    kernel(param.storage.data, grad.storage.data, m.storage.data, v.storage.data, param.size, hp);
    if (polyakTarget !== null) elementwise.lerp(polyakTarget.storage.data, param.storage.data, tau, param.size);
  }

  sgd(param: CpuTensor, grad: CpuTensor, velocity: CpuTensor, hp: SgdHyperParameters): void {
    this.calls++;
    optimizers.sgd(param.storage.data, grad.storage.data, velocity.storage.data, param.size, hp);
  }

  private runMatmul(a: CpuTensor, b: CpuTensor, out: CpuTensor, m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    const args = this.matmulArgs;
    args.a = a.storage.data;
    args.b = b.storage.data;
    args.out = out.storage.data;
    args.m = m;
    args.k = k;
    args.n = n;
    args.transA = transA;
    args.transB = transB;
    args.accumulate = accumulate;
    matmul(args);
  }

  protected scratchRow(size: number): Float64Array {
    if (this.rowScratch.length < size) this.rowScratch = new Float64Array(size);
    return this.rowScratch;
  }
}
