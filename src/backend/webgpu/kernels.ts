/**
 * The kernel table: every compute entry point of shaders/*.wgsl, with the access of the storage
 * buffers it binds and the layout of its uniform parameters. Group 1, binding 0 is always the op's
 * parameters (a 256-byte slot of the uniform ring, each slot a bind group of its own: see
 * recorder.ts), laid out as the `struct Params` of the kernel's file, which `params` declares
 * field by field (test/webgpu-kernels.test.ts parses every struct and compares). In group 0,
 * binding i >= 1 is read-only storage where access[i - 1] is 'r' and read_write storage where it
 * is 'w'.
 */
import type { BackendOp, DeviceEnvKind } from '../backend.js';
import { ParamLayout } from './param-layout.js';

export interface KernelSpec {
  file: string;
  entry: string;
  /** One letter per storage binding 1..n: 'r' read-only, 'w' read_write. */
  access: string;
  /**
   * Threads per workgroup along x (for `Dispatcher.run`'s sizing); 0 for linear-subgroup.wgsl's
   * kernels, whose workgroup is one subgroup (4 or 8 lanes, the device's) and whose grids are tiles.
   */
  threads: number;
  /** The fields of the file's `struct Params`, in order. */
  params: ParamLayout<string>;
  /** The Backend ops that dispatch this kernel (the conformance cases of those ops check it). */
  ops: readonly BackendOp[];
  /**
   * What the device must offer for the kernel to be built (its file is compiled only then):
   * 'subgroups', the `subgroups` feature with subgroups of a fixed size of 4 lanes (SwiftShader) or
   * 8 (llvmpipe), the SIMD widths linear-subgroup.wgsl has lane primitives for (SUBGROUP_LANES).
   */
  requires?: KernelRequirement;
}

/** A device capability a kernel needs (see KernelSpec.requires and pipelines.ts). */
export type KernelRequirement = 'subgroups';

/** The subgroup sizes linear-subgroup.wgsl runs on: its `//#include subgroup-lanes` becomes shaders/subgroup-lanes<N>.wgsl. */
export const SUBGROUP_LANES = [4, 8] as const;
export type SubgroupLanes = (typeof SUBGROUP_LANES)[number];

const ELEMENTWISE = new ParamLayout({ n: 'u32', scalar: 'f32' });
const MATMUL = new ParamLayout({ m: 'u32', n: 'u32', k: 'u32', flags: 'u32' });
const BIAS_ACTIVATION = new ParamLayout({ rows: 'u32', cols: 'u32', activation: 'u32', has_bias: 'u32', alpha: 'f32' });
const ACTIVATION_BACKWARD = new ParamLayout({ rows: 'u32', cols: 'u32', activation: 'u32', alpha: 'f32' });
const REDUCE = new ParamLayout({ rows: 'u32', cols: 'u32', accumulate: 'u32' });
const ROWS_COLS = new ParamLayout({ rows: 'u32', cols: 'u32' });
const LOSS = new ParamLayout({ rows: 'u32', cols: 'u32', kind: 'u32', delta: 'f32', eps: 'f32' });
const ADAM = new ParamLayout({
  n: 'u32',
  beta1: 'f32',
  beta2: 'f32',
  eps: 'f32',
  step_size: 'f32',
  sqrt_correction2: 'f32',
  l2: 'f32',
  decay: 'f32',
  flags: 'u32',
  max_norm: 'f32',
  tau: 'f32',
});
const LINEAR = new ParamLayout({ m: 'u32', n: 'u32', k: 'u32', flags: 'u32', activation: 'u32', alpha: 'f32' });
const TD_LOSS = new ParamLayout({
  batch: 'u32',
  actions: 'u32',
  flags: 'u32',
  gamma: 'f32',
  delta: 'f32',
  quantiles: 'u32',
  m_alpha: 'f32',
  m_tau: 'f32',
  m_floor: 'f32',
});
const LAYER_NORM = new ParamLayout({ rows: 'u32', cols: 'u32', eps: 'f32', flags: 'u32', activation: 'u32', alpha: 'f32' });
const RETURNS = new ParamLayout({ steps: 'u32', envs: 'u32', actions: 'u32', gamma: 'f32', lambda: 'f32' });
const PPO_LOSS = new ParamLayout({
  batch: 'u32',
  k: 'u32',
  flags: 'u32',
  clip_coef: 'f32',
  ent_coef: 'f32',
  value_clip: 'f32',
  vf_coef: 'f32',
  adv_eps: 'f32',
  half_log_two_pi: 'f32',
});
const GATHER_ROWS = new ParamLayout({ rows: 'u32', cols: 'u32', src_rows: 'u32' });
const EPSILON_GREEDY = new ParamLayout({ envs: 'u32', actions: 'u32', seed_lo: 'u32', seed_hi: 'u32', counter: 'u32', epsilon: 'f32' });
const GAE = new ParamLayout({ steps: 'u32', envs: 'u32', gamma: 'f32', lambda: 'f32' });
/**
 * The fields shaders/sin-cos32.wgsl reads from a kernel's parameters: 1/2 and 1, Cephes' sin/cos
 * constants and `opaque`, the always-0 flag of its `fr` barrier (WebGpuOps.sinCosParams writes them).
 */
const SIN_COS_PARAMS = {
  half: 'f32',
  one: 'f32',
  fopi: 'f32',
  dp1: 'f32',
  dp2: 'f32',
  dp3: 'f32',
  sin0: 'f32',
  sin1: 'f32',
  sin2: 'f32',
  cos0: 'f32',
  cos1: 'f32',
  cos2: 'f32',
  opaque: 'u32',
} as const;
export type SinCosParam = keyof typeof SIN_COS_PARAMS;
/** policySample's parameters: the rows, the seed's key and the counter, then sin-cos32.wgsl's (Box-Muller's sin and cos). */
const POLICY_SAMPLE = new ParamLayout({ rows: 'u32', cols: 'u32', seed_lo: 'u32', seed_hi: 'u32', counter: 'u32', ...SIN_COS_PARAMS });
/**
 * The first fields of every device env kernel's parameters (shaders/<env>-step.wgsl), which
 * device-env.wgsl's functions read: the envs, the seed's key, the time limit, then sin-cos32.wgsl's.
 * The env's own follow.
 */
const DEVICE_ENV_PARAMS = {
  envs: 'u32',
  seed_lo: 'u32',
  seed_hi: 'u32',
  max_steps: 'f32',
  ...SIN_COS_PARAMS,
} as const;
export type DeviceEnvParam = keyof typeof DEVICE_ENV_PARAMS;
const CARTPOLE_STEP = new ParamLayout({
  ...DEVICE_ENV_PARAMS,
  gravity: 'f32',
  masspole: 'f32',
  total_mass: 'f32',
  length: 'f32',
  polemass_length: 'f32',
  force_mag: 'f32',
  tau: 'f32',
  four_thirds: 'f32',
  x_threshold: 'f32',
  theta_threshold: 'f32',
  reset_width: 'f32',
});
const ACROBOT_STEP = new ParamLayout({
  ...DEVICE_ENV_PARAMS,
  d1: 'f32',
  d2: 'f32',
  coupling: 'f32',
  two_coupling: 'f32',
  phi1_gravity: 'f32',
  phi2_gravity: 'f32',
  dt: 'f32',
  half_dt: 'f32',
  sixth_dt: 'f32',
  pi: 'f32',
  two_pi: 'f32',
  max_vel1: 'f32',
  max_vel2: 'f32',
  reset_width: 'f32',
  wrap_passes: 'u32',
});
const MOUNTAIN_CAR_STEP = new ParamLayout({
  ...DEVICE_ENV_PARAMS,
  force: 'f32',
  gravity: 'f32',
  three: 'f32',
  max_speed: 'f32',
  min_position: 'f32',
  max_position: 'f32',
  goal_position: 'f32',
  reset_low: 'f32',
  reset_width: 'f32',
});
const SGD = new ParamLayout({ n: 'u32', lr: 'f32', momentum: 'f32', dampening: 'f32', weight_decay: 'f32', nesterov: 'u32', first: 'u32' });

export const KERNELS = {
  fill: { file: 'elementwise', entry: 'fill', access: 'w', threads: 256, params: ELEMENTWISE, ops: ['fill'] },
  copy: { file: 'elementwise', entry: 'copy', access: 'rw', threads: 256, params: ELEMENTWISE, ops: ['copy'] },
  scale: { file: 'elementwise', entry: 'scale', access: 'rw', threads: 256, params: ELEMENTWISE, ops: ['scale'] },
  addMul: { file: 'elementwise', entry: 'add_mul', access: 'rrrw', threads: 256, params: ELEMENTWISE, ops: ['addMul'] },
  lerp: { file: 'elementwise', entry: 'lerp', access: 'wr', threads: 256, params: ELEMENTWISE, ops: ['lerp'] },
  clipScale: { file: 'elementwise', entry: 'clip_scale', access: 'wr', threads: 256, params: ELEMENTWISE, ops: ['clipByGlobalNorm'] },
  matmulTiled: { file: 'matmul', entry: 'matmul_tiled', access: 'rrw', threads: 256, params: MATMUL, ops: ['matmul'] },
  matmulBlocked: { file: 'matmul', entry: 'matmul_blocked', access: 'rrw', threads: 256, params: MATMUL, ops: ['matmul'] },
  matmulSmall: { file: 'matmul', entry: 'matmul_small', access: 'rrw', threads: 64, params: MATMUL, ops: ['matmul'] },
  linearBlocked: { file: 'linear', entry: 'linear_blocked', access: 'rrrw', threads: 256, params: LINEAR, ops: ['linear'] },
  linearTiled: { file: 'linear', entry: 'linear_tiled', access: 'rrrw', threads: 256, params: LINEAR, ops: ['linear'] },
  linearGradBlocked: { file: 'linear', entry: 'linear_grad_blocked', access: 'rrww', threads: 256, params: LINEAR, ops: ['linearGrad'] },
  linearGradTiled: { file: 'linear', entry: 'linear_grad_tiled', access: 'rrww', threads: 256, params: LINEAR, ops: ['linearGrad'] },
  inputGradBlocked: { file: 'linear', entry: 'input_grad_blocked', access: 'rrrw', threads: 256, params: LINEAR, ops: ['linearInputGrad'] },
  inputGradTiled: { file: 'linear', entry: 'input_grad_tiled', access: 'rrrw', threads: 256, params: LINEAR, ops: ['linearInputGrad'] },
  linearSubgroup: { file: 'linear-subgroup', entry: 'linear_subgroup', access: 'rrrw', threads: 0, params: LINEAR, ops: ['linear'], requires: 'subgroups' },
  linearGradSubgroup: {
    file: 'linear-subgroup',
    entry: 'linear_grad_subgroup',
    access: 'rrww',
    threads: 0,
    params: LINEAR,
    ops: ['linearGrad'],
    requires: 'subgroups',
  },
  inputGradSubgroup: {
    file: 'linear-subgroup',
    entry: 'input_grad_subgroup',
    access: 'rrrw',
    threads: 0,
    params: LINEAR,
    ops: ['linearInputGrad'],
    requires: 'subgroups',
  },
  linearNarrow: { file: 'linear-subgroup', entry: 'linear_narrow', access: 'rrrw', threads: 0, params: LINEAR, ops: ['linear'], requires: 'subgroups' },
  linearGradNarrow: {
    file: 'linear-subgroup',
    entry: 'linear_grad_narrow',
    access: 'rrww',
    threads: 0,
    params: LINEAR,
    ops: ['linearGrad'],
    requires: 'subgroups',
  },
  inputGradShort: {
    file: 'linear-subgroup',
    entry: 'input_grad_short',
    access: 'rrrw',
    threads: 0,
    params: LINEAR,
    ops: ['linearInputGrad'],
    requires: 'subgroups',
  },
  tdLoss: { file: 'td-loss', entry: 'td_loss', access: 'rrrrrwww', threads: 256, params: TD_LOSS, ops: ['tdLoss'] },
  tdLossLanes: { file: 'td-loss', entry: 'td_loss_lanes', access: 'rrrrrwww', threads: 8, params: TD_LOSS, ops: ['tdLoss'] },
  quantileTdLoss: { file: 'td-loss', entry: 'quantile_td_loss', access: 'rrrrrwww', threads: 256, params: TD_LOSS, ops: ['tdLoss'] },
  quantileTdLossLanes: { file: 'td-loss', entry: 'quantile_td_loss_lanes', access: 'rrrrrwww', threads: 8, params: TD_LOSS, ops: ['tdLoss'] },
  layerNorm: { file: 'layer-norm', entry: 'layer_norm', access: 'rrrww', threads: 64, params: LAYER_NORM, ops: ['layerNorm'] },
  layerNormBackward: { file: 'layer-norm', entry: 'layer_norm_backward', access: 'rrrrrwww', threads: 64, params: LAYER_NORM, ops: ['layerNormBackward'] },
  qLambdaReturns: { file: 'returns', entry: 'q_lambda_returns', access: 'rrrrw', threads: 64, params: RETURNS, ops: ['qLambdaReturns'] },
  ppoLoss: { file: 'ppo-loss', entry: 'ppo_loss', access: 'rrrrwwww', threads: 64, params: PPO_LOSS, ops: ['ppoLoss'] },
  cartPoleStep: { file: 'cartpole-step', entry: 'cartpole_step', access: 'wrwwwwww', threads: 64, params: CARTPOLE_STEP, ops: ['envStep'] },
  acrobotStep: { file: 'acrobot-step', entry: 'acrobot_step', access: 'wrwwwwww', threads: 64, params: ACROBOT_STEP, ops: ['envStep'] },
  mountainCarStep: { file: 'mountain-car-step', entry: 'mountain_car_step', access: 'wrwwwwww', threads: 64, params: MOUNTAIN_CAR_STEP, ops: ['envStep'] },
  epsilonGreedy: { file: 'epsilon-greedy', entry: 'epsilon_greedy', access: 'rw', threads: 64, params: EPSILON_GREEDY, ops: ['epsilonGreedy'] },
  gaeAdvantages: { file: 'gae', entry: 'gae_advantages', access: 'rrrrrww', threads: 64, params: GAE, ops: ['gaeAdvantages'] },
  // Both heads bind (out, logStd, actions, logProb); the categorical one reads no logStd.
  policyCategorical: { file: 'policy-sample', entry: 'policy_categorical', access: 'rrww', threads: 64, params: POLICY_SAMPLE, ops: ['policySample'] },
  policyGaussian: { file: 'policy-sample', entry: 'policy_gaussian', access: 'rrww', threads: 64, params: POLICY_SAMPLE, ops: ['policySample'] },
  biasActivation: { file: 'bias-activation', entry: 'bias_activation', access: 'rrw', threads: 256, params: BIAS_ACTIVATION, ops: ['biasActivation'] },
  biasSoftmax: { file: 'bias-activation', entry: 'bias_softmax', access: 'rrw', threads: 64, params: BIAS_ACTIVATION, ops: ['biasActivation', 'linear'] },
  activationBackward: {
    file: 'activation-backward',
    entry: 'activation_backward',
    access: 'rrw',
    threads: 256,
    params: ACTIVATION_BACKWARD,
    ops: ['activationBackward'],
  },
  softmaxBackward: { file: 'activation-backward', entry: 'softmax_backward', access: 'rrw', threads: 64, params: ACTIVATION_BACKWARD, ops: ['activationBackward'] },
  columnSum: { file: 'reduce', entry: 'column_sum', access: 'rw', threads: 64, params: REDUCE, ops: ['columnSum'] },
  // Also dispatched by Adam and RAdam cases that sum their gradient's squares first (unfused on GPUs).
  sumSquares: { file: 'reduce', entry: 'sum_squares', access: 'rw', threads: 256, params: REDUCE, ops: ['sumSquares', 'adam', 'radam'] },
  sumSquaresQuads: { file: 'reduce', entry: 'sum_squares_quads', access: 'rw', threads: 8, params: REDUCE, ops: ['sumSquares'] },
  rowMax: { file: 'reduce', entry: 'row_max', access: 'rw', threads: 64, params: REDUCE, ops: ['rowMax'] },
  rowArgmax: { file: 'reduce', entry: 'row_argmax', access: 'rw', threads: 64, params: REDUCE, ops: ['rowArgmax'] },
  gatherColumns: { file: 'gather-scatter', entry: 'gather_columns', access: 'rrw', threads: 64, params: ROWS_COLS, ops: ['gatherColumns'] },
  gatherRows: { file: 'gather-rows', entry: 'gather_rows', access: 'rrw', threads: 256, params: GATHER_ROWS, ops: ['gatherRows'] },
  scatterColumns: { file: 'gather-scatter', entry: 'scatter_columns', access: 'rrw', threads: 256, params: ROWS_COLS, ops: ['scatterColumns'] },
  duelingCombine: { file: 'dueling', entry: 'dueling_combine', access: 'rrw', threads: 64, params: ROWS_COLS, ops: ['duelingCombine'] },
  duelingBackward: { file: 'dueling', entry: 'dueling_backward', access: 'rww', threads: 64, params: ROWS_COLS, ops: ['duelingBackward'] },
  lossValue: { file: 'loss', entry: 'loss_value', access: 'rrw', threads: 256, params: LOSS, ops: ['loss'] },
  lossGrad: { file: 'loss', entry: 'loss_grad', access: 'rrw', threads: 256, params: LOSS, ops: ['loss'] },
  lossGradSoftmax: { file: 'loss', entry: 'loss_grad_softmax', access: 'rrw', threads: 64, params: LOSS, ops: ['loss'] },
  // RAdam runs Adam's kernels (ADAM_FLAGS.momentumOnly before its rectification applies).
  adam: { file: 'adam', entry: 'adam', access: 'wwwwrw', threads: 256, params: ADAM, ops: ['adam', 'radam'] },
  adamQuads: { file: 'adam', entry: 'adam_quads', access: 'wwwwrw', threads: 64, params: ADAM, ops: ['adam', 'radam'] },
  // The sum of squares too: replaces the sumSquares dispatch just before it (webgpu-ops.ts).
  adamSmall: { file: 'adam', entry: 'adam_small', access: 'wwwwww', threads: 8, params: ADAM, ops: ['adam', 'radam'] },
  sgd: { file: 'sgd', entry: 'sgd', access: 'wrw', threads: 256, params: SGD, ops: ['sgd'] },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/** The kernel that steps each device env (envStep). */
export const DEVICE_ENV_KERNELS = {
  'CartPole-v1': 'cartPoleStep',
  'Acrobot-v1': 'acrobotStep',
  'MountainCar-v0': 'mountainCarStep',
} as const satisfies Record<DeviceEnvKind, KernelName>;
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/**
 * WGSL files holding only declarations that kernel files include: a line `//#include <name>` is
 * replaced by shaders/<name>.wgsl when the shaders are compiled, and `//#include subgroup-lanes` by
 * subgroup-lanes4.wgsl or subgroup-lanes8.wgsl, the device's (see pipelines.ts).
 */
export const SHADER_SNIPPETS = ['activations', 'philox', 'sin-cos32', 'device-env', 'subgroup-lanes4', 'subgroup-lanes8'] as const;

/** The WGSL files of shaders/ (each `shaders/<file>.wgsl`): the kernel table's files and the snippets. */
export type ShaderFile = (typeof KERNELS)[KernelName]['file'] | (typeof SHADER_SNIPPETS)[number];
export const SHADER_FILES: readonly ShaderFile[] = [...new Set<ShaderFile>(KERNEL_NAMES.map((k) => KERNELS[k].file)), ...SHADER_SNIPPETS];

/** Bits of LINEAR's `flags`, shared with linear.wgsl. */
export const LINEAR_FLAGS = { transA: 1, transB: 2, accumulate: 4, extra: 8 } as const;

/** Bits of TD_LOSS's `flags`, shared with td-loss.wgsl. */
export const TD_LOSS_FLAGS = { double: 1, huber: 2, targets: 4, discounts: 8, munchausen: 16 } as const;

/** Bits of PPO_LOSS's `flags`, shared with ppo-loss.wgsl. */
export const PPO_LOSS_FLAGS = { gaussian: 1, normalizeAdvantages: 2 } as const;

/**
 * The rows of ppo-loss.wgsl's `columns` binding (its COLUMN_* constants): the five (B, 1) inputs
 * copied end to end into one buffer, since a stage may bind only 8 storage buffers.
 */
export const PPO_LOSS_COLUMNS = ['oldLogProb', 'advantages', 'values', 'returns', 'oldValues'] as const;

/** Bits of LAYER_NORM's `flags`, shared with layer-norm.wgsl. */
export const LAYER_NORM_FLAGS = { accumulate: 1, dx: 2 } as const;

/** Bits of ADAM's `flags`, shared with adam.wgsl. */
export const ADAM_FLAGS = { clip: 1, polyak: 2, momentumOnly: 4 } as const;

/** The parameter field names of a kernel. */
export type ParamsOf<K extends KernelName> = (typeof KERNELS)[K]['params'] extends ParamLayout<infer F> ? F : never;

/** Size in bytes of one op's uniform slot (the largest minUniformBufferOffsetAlignment allowed). */
export const UNIFORM_SLOT_BYTES = 256;

/** Bits of MATMUL's `flags`, shared with matmul.wgsl. */
export const MATMUL_FLAGS = { transA: 1, transB: 2, accumulate: 4 } as const;
