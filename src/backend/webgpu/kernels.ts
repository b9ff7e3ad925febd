/**
 * The kernel table: every compute entry point of shaders/*.wgsl, with the access of the storage
 * buffers it binds. Binding 0 is always the op's uniform parameters (a 256-byte slot of the
 * uniform ring, dynamic offset); binding i >= 1 is read-only storage where access[i - 1] is 'r'
 * and read_write storage where it is 'w'.
 */
import type { ShaderFile } from './shader-files.js';

export interface KernelSpec {
  file: ShaderFile;
  entry: string;
  /** One letter per storage binding 1..n: 'r' read-only, 'w' read_write. */
  access: string;
  /** Threads per workgroup along x (for dispatch sizing). */
  threads: number;
}

export const KERNELS = {
  fill: { file: 'elementwise', entry: 'fill', access: 'w', threads: 256 },
  copy: { file: 'elementwise', entry: 'copy', access: 'rw', threads: 256 },
  scale: { file: 'elementwise', entry: 'scale', access: 'rw', threads: 256 },
  addMul: { file: 'elementwise', entry: 'add_mul', access: 'rrrw', threads: 256 },
  lerp: { file: 'elementwise', entry: 'lerp', access: 'wr', threads: 256 },
  clipScale: { file: 'elementwise', entry: 'clip_scale', access: 'wr', threads: 256 },
  matmulTiled: { file: 'matmul', entry: 'matmul_tiled', access: 'rrw', threads: 256 },
  matmulBlocked: { file: 'matmul', entry: 'matmul_blocked', access: 'rrw', threads: 256 },
  matmulSmall: { file: 'matmul', entry: 'matmul_small', access: 'rrw', threads: 64 },
  biasActivation: { file: 'bias-activation', entry: 'bias_activation', access: 'rrw', threads: 256 },
  biasSoftmax: { file: 'bias-activation', entry: 'bias_softmax', access: 'rrw', threads: 64 },
  activationBackward: { file: 'activation-backward', entry: 'activation_backward', access: 'rrw', threads: 256 },
  softmaxBackward: { file: 'activation-backward', entry: 'softmax_backward', access: 'rrw', threads: 64 },
  columnSum: { file: 'reduce', entry: 'column_sum', access: 'rw', threads: 64 },
  sumSquares: { file: 'reduce', entry: 'sum_squares', access: 'rw', threads: 256 },
  rowMax: { file: 'reduce', entry: 'row_max', access: 'rw', threads: 64 },
  rowArgmax: { file: 'reduce', entry: 'row_argmax', access: 'rw', threads: 64 },
  gatherColumns: { file: 'gather-scatter', entry: 'gather_columns', access: 'rrw', threads: 64 },
  scatterColumns: { file: 'gather-scatter', entry: 'scatter_columns', access: 'rrw', threads: 256 },
  duelingCombine: { file: 'dueling', entry: 'dueling_combine', access: 'rrw', threads: 64 },
  duelingBackward: { file: 'dueling', entry: 'dueling_backward', access: 'rww', threads: 64 },
  lossValue: { file: 'loss', entry: 'loss_value', access: 'rrw', threads: 256 },
  lossGrad: { file: 'loss', entry: 'loss_grad', access: 'rrw', threads: 256 },
  lossGradSoftmax: { file: 'loss', entry: 'loss_grad_softmax', access: 'rrw', threads: 64 },
  adam: { file: 'adam', entry: 'adam', access: 'wrww', threads: 256 },
  sgd: { file: 'sgd', entry: 'sgd', access: 'wrw', threads: 256 },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/** Size in bytes of one op's uniform slot (the largest minUniformBufferOffsetAlignment allowed). */
export const UNIFORM_SLOT_BYTES = 256;

/** Activation codes shared with bias-activation.wgsl and activation-backward.wgsl. */
export const ACTIVATION_CODES = { identity: 0, relu: 1, leaky_relu: 2, tanh: 3, sigmoid: 4, softmax: 5 } as const;

/** Loss codes shared with loss.wgsl. */
export const LOSS_CODES = { mse: 0, huber: 1, softmax_cross_entropy: 2, cross_entropy: 3 } as const;
