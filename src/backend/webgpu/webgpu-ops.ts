/**
 * The WebGPU backend's ops: each validated op of BackendBase becomes one or two dispatches of a
 * kernel of the table in kernels.ts, its parameters written by name.
 */
import { DEVICE_ENV_SPECS, radamRectification, type Activation, type AdamHyperParameters, type LossKind, type RAdamHyperParameters, type SgdHyperParameters } from '../backend.js';
import type { EnvStepCall, EpsilonGreedyCall, GaeCall, LayerNormBackwardCall, LayerNormCall, MatmulCall, PolicySampleCall, PpoLossCall, QLambdaReturnsCall, RawOps, TdLossCall } from '../backend-base.js';
import type { DeviceTensor } from '../device-tensor.js';
import type { Dispatcher } from './dispatcher.js';
import { InvalidArgumentError } from '../../errors.js';
import { HALF_LOG_TWO_PI, PPO_ADVANTAGE_EPS } from '../policy-ops.js';
import { ACROBOT_F32, ACROBOT_WRAP_PASSES, CARTPOLE_F32, MOUNTAIN_CAR_F32, SIN_COS_F32 } from '../device-env-constants.js';
import { ACTIVATION_CODES, LOSS_CODES } from '../kernel-codes.js';
import { ADAM_FLAGS, DEVICE_ENV_KERNELS, KERNELS, LAYER_NORM_FLAGS, LINEAR_FLAGS, MATMUL_FLAGS, PPO_LOSS_COLUMNS, PPO_LOSS_FLAGS, TD_LOSS_FLAGS, type DeviceEnvParam, type KernelName, type SinCosParam, type SubgroupLanes } from './kernels.js';
import type { ParamWriter } from './param-layout.js';
import type { GpuStorage } from './storage-pool.js';

/** The largest parameter arena whose Adam step takes the sum of squares before it into one workgroup (adam_small). */
const ADAM_SMALL_MAX_ELEMENTS = 16384;

const sameRange = (a: GpuStorage, b: GpuStorage): boolean => a.block === b.block && a.offset === b.offset && a.bytes === b.bytes;

/** A WebGPU tensor: its storage is a pooled storage buffer. */
export type WebGpuTensor = DeviceTensor<GpuStorage>;

/**
 * The matmul kernels: shaders/matmul.wgsl's, and for the fused layer ops (linear, linearGrad,
 * linearInputGrad) linear.wgsl's tiled or blocked kernels or linear-subgroup.wgsl's ('subgroup':
 * lavapipe and SwiftShader; shapes it cannot take run blocked, and plain matmuls run blocked on it).
 */
export type MatmulPath = 'auto' | 'tiled' | 'blocked' | 'small' | 'subgroup';

/**
 * How a fused layer op runs: linear.wgsl's workgroup tiles or register blocks, or one of
 * linear-subgroup.wgsl's kernels: 'subgroup' (every vec4-read length divisible by 4) or 'narrow'
 * (a layer of at most 8 outputs, or the input gradient of a layer whose outputs are not a multiple of 4).
 */
type LayerPath = 'tiled' | 'blocked' | 'subgroup' | 'narrow';

/** Where a fused layer op can take linear-subgroup.wgsl's kernels (else none: 'blocked'). */
type SubgroupFit = 'subgroup' | 'narrow' | 'blocked';

/** Matmuls with at most this many outputs use the split-k path (one workgroup per output). */
const SMALL_MATMUL_OUTPUTS = 256;
/** ... and at least this long a k (below it one tiled workgroup does as well). */
const SMALL_MATMUL_MIN_K = 128;
/** Output rows and columns per workgroup of the tiled and blocked matmul kernels. */
const MATMUL_TILE = 64;
/**
 * Output rows per workgroup (one subgroup) of linear-subgroup.wgsl's tile kernels (TILE_ROWS); their
 * columns are 4 per lane, and the narrow kernels' rows 4 per lane (NARROW_ROWS).
 */
const SUBGROUP_TILE_ROWS = 16;
/** The most outputs a layer may have for linear_narrow and linear_grad_narrow (a band's 8 rows). */
const NARROW_MAX_COLS = 8;
/** The kernels of each fused layer op, by path. */
const LAYER_KERNELS = {
  linear: { tiled: 'linearTiled', blocked: 'linearBlocked', subgroup: 'linearSubgroup', narrow: 'linearNarrow' },
  linearGrad: { tiled: 'linearGradTiled', blocked: 'linearGradBlocked', subgroup: 'linearGradSubgroup', narrow: 'linearGradNarrow' },
  linearInputGrad: { tiled: 'inputGradTiled', blocked: 'inputGradBlocked', subgroup: 'inputGradSubgroup', narrow: 'inputGradShort' },
} as const satisfies Record<string, Record<LayerPath, KernelName>>;

const divisibleBy4 = (...lengths: number[]): boolean => lengths.every((x) => x % 4 === 0);

/**
 * Which of linear-subgroup.wgsl's kernels can take a layer op of this shape (the requirements in
 * that file's header): the lengths it reads as vec4s must be divisible by 4.
 */
function subgroupFit(op: keyof typeof LAYER_KERNELS, m: number, n: number, k: number): SubgroupFit {
  switch (op) {
    // out (m, n) = x (m, k) @ w (k, n)
    case 'linear':
      if (n <= NARROW_MAX_COLS && divisibleBy4(k)) return 'narrow';
      return divisibleBy4(k, n) ? 'subgroup' : 'blocked';
    // dW (m, n) = x^T g, x (k, m), g (k, n)
    case 'linearGrad':
      if (n <= NARROW_MAX_COLS && divisibleBy4(m, k)) return 'narrow';
      return divisibleBy4(m, k, n) ? 'subgroup' : 'blocked';
    // out (m, n) = g (m, k) @ w^T, w (n, k)
    case 'linearInputGrad':
      if (!divisibleBy4(n)) return 'blocked';
      return divisibleBy4(k) ? 'subgroup' : 'narrow';
  }
}

export class WebGpuOps implements RawOps<WebGpuTensor> {
  /**
   * Kernels for CPU-emulated adapters where there is a choice: barrier-free reductions over a few
   * threads, and an Adam step that takes in the sum of squares before it. On such an adapter under
   * 'auto', and under a forced 'blocked' or 'subgroup' path (so tests check them on any device).
   */
  private readonly cpuStyle: boolean;
  /** The latest sumSquares (its kernel, dispatch number, or -1 when it accumulated, and operands), for Adam to take in. */
  private readonly latestSumSquares = {
    kernel: 'sumSquares' as 'sumSquares' | 'sumSquaresQuads',
    dispatch: -1,
    x: null as GpuStorage | null,
    out: null as GpuStorage | null,
  };
  /** ppoLoss's (B, 1) inputs in PPO_LOSS_COLUMNS' order, for `pack` (reused: no array per call). */
  private readonly ppoColumns: GpuStorage[] = [];

  constructor(
    private readonly d: Dispatcher,
    /** The matmul path ('auto' resolved per call from the shape and `software`). */
    private readonly matmulPath: MatmulPath,
    /** A CPU-emulated adapter: barriers are expensive there, so matmuls avoid workgroup memory. */
    private readonly software: boolean,
    /**
     * The device's subgroup size (pipelines.ts subgroupLanes), or null: linear-subgroup.wgsl's kernels
     * are built exactly when it is not null (KernelSpec.requires 'subgroups').
     */
    private readonly lanes: SubgroupLanes | null,
  ) {
    if (matmulPath === 'subgroup' && lanes === null) {
      throw new InvalidArgumentError("WebGpuBackend: matmulPath 'subgroup' needs the subgroups feature with subgroups of 4 or 8 lanes (SwiftShader, lavapipe)");
    }
    this.cpuStyle = matmulPath === 'auto' ? software : matmulPath === 'blocked' || matmulPath === 'subgroup';
  }

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
    if (path === 'subgroup') path = 'blocked';
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
    const path = this.layerPath('linear', x.rows, w.cols, x.cols);
    const kernel = LAYER_KERNELS.linear[path];
    this.linearParams(kernel, x.rows, w.cols, x.cols, bias !== null, 0, softmax ? 'identity' : activation, alpha);
    this.d.bind(x.storage, w.storage, bias === null ? this.d.unused('r') : bias.storage, out.storage);
    this.layerGrid(kernel, path, x.rows, w.cols);
    // Softmax is a row op: the bias was added above, the softmax follows in place.
    if (softmax) this.biasActivation(out, null, 'softmax', out, alpha);
  }

  linearGrad(x: WebGpuTensor, g: WebGpuTensor, dW: WebGpuTensor, db: WebGpuTensor | null, accumulate: boolean): void {
    const path = this.layerPath('linearGrad', x.cols, g.cols, x.rows);
    const kernel = LAYER_KERNELS.linearGrad[path];
    // dW = x^T g: op(a) = x^T is (in, B). With db, the tiled and blocked kernels give op(a) a row
    // of ones whose outputs are db; the subgroup kernels sum g's columns beside.
    this.linearParams(kernel, x.cols, g.cols, x.rows, db !== null, LINEAR_FLAGS.transA | (accumulate ? LINEAR_FLAGS.accumulate : 0), 'identity', 0);
    this.d.bind(x.storage, g.storage, dW.storage, db === null ? this.d.unused('w') : db.storage);
    const onesRow = db !== null && (path === 'tiled' || path === 'blocked');
    this.layerGrid(kernel, path, x.cols + (onesRow ? 1 : 0), g.cols);
  }

  linearInputGrad(g: WebGpuTensor, w: WebGpuTensor, y: WebGpuTensor | null, activation: Activation, out: WebGpuTensor, alpha: number): void {
    const path = this.layerPath('linearInputGrad', g.rows, w.rows, g.cols);
    const kernel = LAYER_KERNELS.linearInputGrad[path];
    this.linearParams(kernel, g.rows, w.rows, g.cols, y !== null, LINEAR_FLAGS.transB, activation, alpha);
    this.d.bind(g.storage, w.storage, y === null ? this.d.unused('r') : y.storage, out.storage);
    this.layerGrid(kernel, path, g.rows, w.rows);
  }

  tdLoss(call: TdLossCall<WebGpuTensor>): void {
    const flags =
      (call.double ? TD_LOSS_FLAGS.double : 0) | (call.loss === 'huber' ? TD_LOSS_FLAGS.huber : 0) | (call.targets !== null ? TD_LOSS_FLAGS.targets : 0) |
      (call.discounts !== null ? TD_LOSS_FLAGS.discounts : 0) | (call.munchausen !== null ? TD_LOSS_FLAGS.munchausen : 0);
    const m = call.munchausen;
    const quantile = call.quantiles > 1;
    const kernel = quantile ? (this.cpuStyle ? 'quantileTdLossLanes' : 'quantileTdLoss') : this.cpuStyle ? 'tdLossLanes' : 'tdLoss';
    this.d
      .params(kernel)
      .set('batch', call.batch)
      .set('actions', call.nextQ.cols)
      .set('flags', flags)
      .set('gamma', call.gamma)
      .set('delta', call.delta)
      .set('quantiles', call.quantiles)
      .set('m_alpha', m?.alpha ?? 0)
      .set('m_tau', m?.tau ?? 1)
      .set('m_floor', m?.logPolicyFloor ?? 0);
    // The four kernels take the same parameters and bindings.
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
    this.d.grid(kernel, 1, 1);
  }

  layerNorm(call: LayerNormCall<WebGpuTensor>): void {
    this.d
      .params('layerNorm')
      .set('rows', call.rows)
      .set('cols', call.cols)
      .set('eps', call.eps)
      .set('flags', 0)
      .set('activation', ACTIVATION_CODES[call.activation])
      .set('alpha', call.alpha);
    this.d.bind(call.x.storage, call.gamma.storage, call.beta.storage, call.out.storage, call.stats.storage);
    // One workgroup per row.
    this.d.workgroups('layerNorm', call.rows);
  }

  layerNormBackward(call: LayerNormBackwardCall<WebGpuTensor>): void {
    const flags = (call.accumulate ? LAYER_NORM_FLAGS.accumulate : 0) | (call.dx !== null ? LAYER_NORM_FLAGS.dx : 0);
    // y is bound (and read) only with an activation; BackendBase gives it then and only then.
    const y = call.y;
    this.d
      .params('layerNormBackward')
      .set('rows', call.rows)
      .set('cols', call.cols)
      .set('eps', 0)
      .set('flags', flags)
      .set('activation', y === null ? 0 : ACTIVATION_CODES[call.activation])
      .set('alpha', call.alpha);
    this.d.bind(
      call.x.storage,
      call.gamma.storage,
      call.stats.storage,
      call.dy.storage,
      y === null ? this.d.unused('r') : y.storage,
      call.dx === null ? this.d.unused('w') : call.dx.storage,
      call.dgamma.storage,
      call.dbeta.storage,
    );
    // One dispatch: a workgroup per row for dx (when wanted), then one per 64 columns for dgamma and dbeta.
    const columnGroups = Math.ceil(call.cols / KERNELS.layerNormBackward.threads);
    this.d.workgroups('layerNormBackward', (call.dx !== null ? call.rows : 0) + columnGroups);
  }

  qLambdaReturns(call: QLambdaReturnsCall<WebGpuTensor>): void {
    this.d
      .params('qLambdaReturns')
      .set('steps', call.steps)
      .set('envs', call.envs)
      .set('actions', call.actions)
      .set('gamma', call.gamma)
      .set('lambda', call.lambda);
    // One thread per env, each scanning its column backwards over the T steps.
    this.d.bind(call.rewards.storage, call.terminated.storage, call.truncated.storage, call.nextQ.storage, call.returns.storage).run('qLambdaReturns', call.envs);
  }

  ppoLoss(call: PpoLossCall<WebGpuTensor>): void {
    const flags = (call.head === 'gaussian' ? PPO_LOSS_FLAGS.gaussian : 0) | (call.normalizeAdvantages ? PPO_LOSS_FLAGS.normalizeAdvantages : 0);
    this.d
      .params('ppoLoss')
      .set('batch', call.batch)
      .set('k', call.k)
      .set('flags', flags)
      .set('clip_coef', call.clipCoef)
      .set('ent_coef', call.entCoef)
      .set('value_clip', call.valueClip)
      .set('vf_coef', call.vfCoef)
      .set('adv_eps', PPO_ADVANTAGE_EPS)
      .set('half_log_two_pi', HALF_LOG_TWO_PI);
    // Twelve tensors, eight bindings: the five (B, 1) inputs are copied into one (5, B) buffer.
    const parts = this.ppoColumns;
    for (let c = 0; c < PPO_LOSS_COLUMNS.length; c++) parts[c] = call[PPO_LOSS_COLUMNS[c]].storage;
    const columns = this.d.pack(parts);
    this.d.bind(
      call.out.storage,
      call.logStd === null ? this.d.unused('r') : call.logStd.storage,
      call.actions.storage,
      columns,
      call.gradOut.storage,
      call.gradLogStd === null ? this.d.unused('w') : call.gradLogStd.storage,
      call.gradValues.storage,
      call.stats.storage,
    );
    // One workgroup loops over the rows: the advantages' moments, the column sums and the stats are reductions over the batch.
    this.d.grid('ppoLoss', 1, 1);
  }

  envStep(call: EnvStepCall<WebGpuTensor>): void {
    // One thread per env: the step, the autoreset and the episode statistics in one dispatch, each
    // device env its own kernel (shaders/<env>-step.wgsl), its constants through the parameters.
    const kernel = DEVICE_ENV_KERNELS[call.env];
    switch (kernel) {
      case 'cartPoleStep': {
        const k = CARTPOLE_F32;
        this.envParams(this.d.params('cartPoleStep'), call)
          .set('gravity', k.gravity)
          .set('masspole', k.masspole)
          .set('total_mass', k.totalMass)
          .set('length', k.length)
          .set('polemass_length', k.polemassLength)
          .set('force_mag', k.forceMag)
          .set('tau', k.tau)
          .set('four_thirds', k.fourThirds)
          .set('x_threshold', k.xThreshold)
          .set('theta_threshold', k.thetaThreshold)
          .set('reset_width', k.resetWidth);
        break;
      }
      case 'acrobotStep': {
        const k = ACROBOT_F32;
        this.envParams(this.d.params('acrobotStep'), call)
          .set('d1', k.d1)
          .set('d2', k.d2)
          .set('coupling', k.coupling)
          .set('two_coupling', k.twoCoupling)
          .set('phi1_gravity', k.phi1Gravity)
          .set('phi2_gravity', k.phi2Gravity)
          .set('dt', k.dt)
          .set('half_dt', k.halfDt)
          .set('sixth_dt', k.sixthDt)
          .set('pi', k.pi)
          .set('two_pi', k.twoPi)
          .set('max_vel1', k.maxVel1)
          .set('max_vel2', k.maxVel2)
          .set('reset_width', k.resetWidth)
          .set('wrap_passes', ACROBOT_WRAP_PASSES);
        break;
      }
      case 'mountainCarStep': {
        const k = MOUNTAIN_CAR_F32;
        this.envParams(this.d.params('mountainCarStep'), call)
          .set('force', k.force)
          .set('gravity', k.gravity)
          .set('three', 3)
          .set('max_speed', k.maxSpeed)
          .set('min_position', k.minPosition)
          .set('max_position', k.maxPosition)
          .set('goal_position', k.goalPosition)
          .set('reset_low', k.resetLow)
          .set('reset_width', k.resetWidth);
        break;
      }
    }
    this.d
      .bind(
        call.state.storage,
        call.actions.storage,
        call.obs.storage,
        call.finalObs.storage,
        call.rewards.storage,
        call.terminated.storage,
        call.truncated.storage,
        call.episodes.storage,
      )
      .run(kernel, call.envs);
  }

  /** Writes the parameters every device env kernel has (kernels.ts's DEVICE_ENV_PARAMS) into a kernel's reserved slot `w`. */
  private envParams<F extends string>(w: ParamWriter<F | DeviceEnvParam>, call: EnvStepCall<WebGpuTensor>): ParamWriter<F | DeviceEnvParam> {
    w.set('envs', call.envs)
      .set('seed_lo', call.seed % 0x100000000)
      .set('seed_hi', Math.floor(call.seed / 0x100000000))
      .set('max_steps', DEVICE_ENV_SPECS[call.env].maxSteps);
    return this.sinCosParams(w);
  }

  /** Writes the parameters shaders/sin-cos32.wgsl reads (kernels.ts's SIN_COS_PARAMS) into a kernel's reserved slot `w`. */
  private sinCosParams<F extends string>(w: ParamWriter<F | SinCosParam>): ParamWriter<F | SinCosParam> {
    return w
      .set('half', 0.5)
      .set('one', 1)
      .set('fopi', SIN_COS_F32.fopi)
      .set('dp1', SIN_COS_F32.dp1)
      .set('dp2', SIN_COS_F32.dp2)
      .set('dp3', SIN_COS_F32.dp3)
      .set('sin0', SIN_COS_F32.sin0)
      .set('sin1', SIN_COS_F32.sin1)
      .set('sin2', SIN_COS_F32.sin2)
      .set('cos0', SIN_COS_F32.cos0)
      .set('cos1', SIN_COS_F32.cos1)
      .set('cos2', SIN_COS_F32.cos2)
      .set('opaque', 0);
  }

  epsilonGreedy(call: EpsilonGreedyCall<WebGpuTensor>): void {
    // One thread per env: its Philox block, its row's argmax and the choice (epsilon as f32 through the uniform).
    this.d
      .params('epsilonGreedy')
      .set('envs', call.envs)
      .set('actions', call.nActions)
      .set('seed_lo', call.seed % 0x100000000)
      .set('seed_hi', Math.floor(call.seed / 0x100000000))
      .set('counter', call.counter)
      .set('epsilon', call.epsilon);
    this.d.bind(call.q.storage, call.actions.storage).run('epsilonGreedy', call.envs);
  }

  gaeAdvantages(call: GaeCall<WebGpuTensor>): void {
    this.d.params('gaeAdvantages').set('steps', call.steps).set('envs', call.envs).set('gamma', call.gamma).set('lambda', call.lambda);
    // One thread per env, each scanning its column backwards over the T steps.
    this.d
      .bind(call.rewards.storage, call.values.storage, call.nextValues.storage, call.terminated.storage, call.truncated.storage, call.advantages.storage, call.returns.storage)
      .run('gaeAdvantages', call.envs);
  }

  policySample(call: PolicySampleCall<WebGpuTensor>): void {
    // One thread per row: its Philox blocks, the draw and its log-probability; each head its own entry point.
    const kernel = call.head === 'categorical' ? 'policyCategorical' : 'policyGaussian';
    const params = this.d
      .params(kernel)
      .set('rows', call.rows)
      .set('cols', call.cols)
      .set('seed_lo', call.seed % 0x100000000)
      .set('seed_hi', Math.floor(call.seed / 0x100000000))
      .set('counter', call.counter);
    // Box-Muller's sin and cos are sin-cos32.wgsl's (Cephes'), as the CPU's: the same on every device.
    this.sinCosParams(params);
    const logStd = call.logStd === null ? this.d.unused('r') : call.logStd.storage;
    this.d.bind(call.out.storage, logStd, call.actions.storage, call.logProb.storage).run(kernel, call.rows);
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

  gatherRows(x: WebGpuTensor, indices: WebGpuTensor, out: WebGpuTensor): void {
    this.d.params('gatherRows').set('rows', out.rows).set('cols', x.cols).set('src_rows', x.rows);
    this.d.bind(x.storage, indices.storage, out.storage).run('gatherRows', out.rows * x.cols);
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
    const kernel = this.cpuStyle && x.size % 4 === 0 ? 'sumSquaresQuads' : 'sumSquares';
    this.d.params(kernel).set('rows', x.rows).set('cols', x.cols).set('accumulate', accumulate ? 1 : 0);
    this.d.bind(x.storage, out.storage).grid(kernel, 1, 1);
    const latest = this.latestSumSquares;
    latest.kernel = kernel;
    latest.dispatch = accumulate ? -1 : this.d.latest;
    latest.x = x.storage;
    latest.out = out.storage;
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
    // Bias corrections in float64 on the host, as the CPU backend computes them.
    const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
    this.adamStep(param, grad, m, v, hp, stepSize, Math.sqrt(1 - Math.pow(hp.beta2, hp.step)), 0, clipSumSquares, maxNorm, polyakTarget, tau);
  }

  radam(
    param: WebGpuTensor,
    grad: WebGpuTensor,
    m: WebGpuTensor,
    v: WebGpuTensor,
    hp: RAdamHyperParameters,
    clipSumSquares: WebGpuTensor | null,
    maxNorm: number,
    polyakTarget: WebGpuTensor | null,
    tau: number,
  ): void {
    // Adam's kernels with sqrt_correction2 = 1: the rectification (float64 on the host) goes into
    // the step size, or, before it applies, the momentum-only flag drops the denominator.
    const rectification = radamRectification(hp);
    const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
    const rectified = rectification > 0;
    const flags = rectified ? 0 : ADAM_FLAGS.momentumOnly;
    this.adamStep(param, grad, m, v, hp, rectified ? stepSize * rectification : stepSize, 1, flags, clipSumSquares, maxNorm, polyakTarget, tau);
  }

  /** One dispatch of adam.wgsl (adam, adamQuads or adamSmall) over the arena, with `modeFlags` beside the fusions' bits. */
  private adamStep(
    param: WebGpuTensor,
    grad: WebGpuTensor,
    m: WebGpuTensor,
    v: WebGpuTensor,
    hp: AdamHyperParameters,
    stepSize: number,
    sqrtCorrection2: number,
    modeFlags: number,
    clipSumSquares: WebGpuTensor | null,
    maxNorm: number,
    polyakTarget: WebGpuTensor | null,
    tau: number,
  ): void {
    const flags = modeFlags | (clipSumSquares !== null ? ADAM_FLAGS.clip : 0) | (polyakTarget !== null ? ADAM_FLAGS.polyak : 0);
    const n = param.size;
    // On CPU-emulated adapters a small arena's step also takes in the sum of squares of its
    // gradient recorded just before it (the clipper's measure): one dispatch instead of two.
    const latest = this.latestSumSquares;
    const fuse =
      this.cpuStyle &&
      clipSumSquares !== null &&
      n % 4 === 0 &&
      n <= ADAM_SMALL_MAX_ELEMENTS &&
      latest.x !== null &&
      latest.out !== null &&
      sameRange(latest.x, grad.storage) &&
      sameRange(latest.out, clipSumSquares.storage) &&
      this.d.dropLatest(latest.kernel, latest.dispatch);
    const kernel = fuse ? 'adamSmall' : n % 4 === 0 ? 'adamQuads' : 'adam';
    this.d
      .params(kernel)
      .set('flags', flags)
      .set('max_norm', maxNorm)
      .set('tau', tau)
      .set('n', n)
      .set('beta1', hp.beta1)
      .set('beta2', hp.beta2)
      .set('eps', hp.eps)
      .set('step_size', stepSize)
      .set('sqrt_correction2', sqrtCorrection2)
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
    if (kernel === 'adamSmall') this.d.grid(kernel, 1, 1);
    else this.d.run(kernel, kernel === 'adamQuads' ? n / 4 : n);
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

  /**
   * The path of a fused layer op whose output is m x n, summed over k: on CPU-emulated adapters
   * linear-subgroup.wgsl's kernels where the shape and the device allow them (subgroupFit), else
   * register blocks; workgroup tiles on GPUs. A forced path as forced ('small' has no fused
   * kernels: it runs them tiled; 'subgroup' runs the shapes it cannot take blocked).
   */
  private layerPath(op: keyof typeof LAYER_KERNELS, m: number, n: number, k: number): LayerPath {
    switch (this.matmulPath) {
      case 'auto':
        if (!this.software || this.lanes === null) return this.software ? 'blocked' : 'tiled';
        return subgroupFit(op, m, n, k);
      case 'subgroup':
        return subgroupFit(op, m, n, k);
      case 'blocked':
        return 'blocked';
      case 'tiled':
      case 'small':
        return 'tiled';
    }
  }

  /** The workgroup grid of a fused layer kernel over an output of `rows` x `cols`. */
  private layerGrid(kernel: KernelName, path: LayerPath, rows: number, cols: number): void {
    if (path === 'subgroup' || path === 'narrow') {
      if (this.lanes === null) throw new Error(`internal: ${kernel} without the device's subgroup size`);
      // 4 columns (tiles) or 4 rows (narrow) per lane.
      const perGroup = 4 * this.lanes;
      if (kernel === 'linearNarrow' || kernel === 'linearGradNarrow') this.d.workgroups(kernel, Math.ceil(rows / perGroup));
      else this.d.grid(kernel, Math.ceil(cols / perGroup), Math.ceil(rows / SUBGROUP_TILE_ROWS));
    } else {
      this.d.grid(kernel, Math.ceil(cols / MATMUL_TILE), Math.ceil(rows / MATMUL_TILE));
    }
  }

  private linearParams(
    kernel: (typeof LAYER_KERNELS)[keyof typeof LAYER_KERNELS][LayerPath],
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
