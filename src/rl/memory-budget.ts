/**
 * Whether a run's arrays can exist at all, checked before any is allocated, so that a size that
 * cannot fit is refused with the flag and the size ("--buffer-size 2000000000: the replay buffer
 * needs 82 GB ...") instead of "Invalid typed array length" or "Array buffer allocation failed"
 * minutes later. Browser-safe: the caller passes the limits (the machine's memory, a GPU's buffer
 * limits).
 *
 * The estimate counts what grows with the config: the replay buffer (s, s', a, r, terminated) and
 * its copies while a checkpoint is encoded, the network's parameters with their copies (online,
 * target, gradients, Adam's two moments, and the host copies a checkpoint takes), and the
 * minibatch activations of both networks. Fixed costs (the engine itself, a few MB) are left out.
 */
import { InvalidArgumentError } from '../errors.js';
import type { DqnConfig, FieldNamer } from './config.js';
import type { FieldNamer as SchemaFieldNamer } from './config-schema.js';
import { deviceRolloutLayout } from './device-rollout-layout.js';
import { pqnMinibatchSize, resolveEnvOn, type PqnConfig } from './pqn-config.js';
import { ppoWeightShapes } from './ppo-agent.js';
import { ppoMinibatchSize, type PpoConfig } from './ppo-config.js';
import { qNetworkWeightShapes } from './q-network.js';

/** The most elements a typed array may have (V8 on 64-bit: 2^32 - 1 is safe everywhere we run). */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32 - 1;

/** What bounds a run's memory. */
export interface MemoryLimits {
  /** Bytes the host may use (the machine's memory, or a container's limit); Infinity when unknown. */
  hostBytes: number;
  /** A WebGPU device's limits, when the run trains on one. */
  gpu?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** The most the CPU backend's WebAssembly memory can hold, when the run trains on its WASM kernels. */
  wasmMemoryBytes?: number;
}

/** One part of the estimate. */
export interface MemoryItem {
  what: string;
  /** The flags (as the caller spells fields) that size it. */
  sizedBy: string;
  hostBytes: number;
  /** The largest single array it needs (elements). */
  largestArray: number;
  /** The largest single GPU buffer it needs (bytes), 0 when it lives on the host only. */
  largestGpuBuffer: number;
  /** The part of hostBytes in the backend's own memory (the CPU backend's WebAssembly memory). */
  backendBytes: number;
}

/** The parts of a run's memory, for `config` on an env with these dimensions. */
export function estimateRunMemory(config: DqnConfig, obsDim: number, nActions: number, name: FieldNamer = (key) => key): MemoryItem[] {
  const transitionBytes = 2 * obsDim * 4 + 4 + 4 + 1;
  const replayBytes = config.bufferSize * transitionBytes;
  const shapes = qNetworkWeightShapes({ ...config, obsDim, nActions });
  const parameters = shapes.reduce((sum, [rows, cols]) => sum + rows * cols, 0);
  const outputs = nActions * config.quantiles;
  const widest = Math.max(obsDim, outputs, ...config.hidden);
  // A dueling head keeps two more (batch, last hidden width) tensors (its ones and its input gradient).
  const duelingWidths = config.dueling ? 2 * config.hidden[config.hidden.length - 1] : 0;
  const activations = config.batchSize * ([obsDim, ...config.hidden, outputs].reduce((a, b) => a + b, 0) + duelingWidths);
  return [
    {
      what: 'the replay buffer (and the checkpoint file holding it)',
      sizedBy: `${name('bufferSize')} ${config.bufferSize}`,
      // The buffer, plus about two copies while a checkpoint is encoded (the .npy entries and the
      // zip, which is one array of bytes).
      hostBytes: 3 * replayBytes,
      largestArray: Math.max(config.bufferSize * obsDim, replayBytes),
      largestGpuBuffer: 0,
      backendBytes: 0,
    },
    {
      what: 'the network',
      sizedBy: `${name('hidden')} ${config.hidden.join(',')}`,
      // Backend tensors: online, target, gradients, Adam m and v; host copies: the same five in a
      // checkpoint, the best weights, and their float64 .npz copy.
      hostBytes: parameters * (5 * 4 + 6 * 8 + 8),
      largestArray: parameters,
      largestGpuBuffer: parameters * 4,
      // The five backend tensors, a sixth for policy averaging, and the layers' own buffers
      // (measured: about 5.8 copies in use with 2048-2048 at batch 256).
      backendBytes: parameters * 7 * 4,
    },
    {
      what: 'the minibatch activations',
      sizedBy: `${name('batchSize')} ${config.batchSize}`,
      // Forward values and gradients of both networks (online on s and s', target on s').
      hostBytes: activations * 4 * 8,
      largestArray: config.batchSize * widest,
      largestGpuBuffer: config.batchSize * widest * 4,
      // Measured on the WASM kernels (test/wasm-heap.test.ts): about 4.1 float32 copies of the
      // minibatch activations are live at once (DQN, Double DQN, QR-DQN alike); 5 leaves room.
      backendBytes: activations * 4 * 5,
    },
  ];
}

/** "1.5 GB", "640 MB", "12 kB" (powers of 1000, as disks and `free -h`'s man page put it). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toPrecision(3)} ${units[unit]}`;
}

/**
 * Throws InvalidArgumentError naming the flag and the size when the run cannot fit: an array
 * longer than a typed array can be, a GPU buffer beyond the device's limits, or more memory than
 * `limits.hostBytes`.
 */
export function checkRunFits(config: DqnConfig, obsDim: number, nActions: number, limits: MemoryLimits, name: FieldNamer = (key) => key): void {
  checkMemoryFits(estimateRunMemory(config, obsDim, nActions, name), limits);
}

/**
 * The parts of a PQN run's memory: the rollout (s, s', a, r, terminated, truncated, returns for
 * numEnvs x numSteps transitions, and its backend copies), the network with its copies (weights,
 * gradients, RAdam's two moments, the best weights, the host copies a checkpoint takes), and the
 * activations of the larger of a minibatch and the rollout's one forward pass over its next
 * observations. No replay buffer. With envOn 'device' the rollout's tensors have each step's envs
 * padded to a multiple of 64 (device-rollout-layout.ts), and so has that forward pass.
 */
export function estimatePqnMemory(config: PqnConfig, obsDim: number, nActions: number, name: SchemaFieldNamer<PqnConfig> = (key) => key): MemoryItem[] {
  const rows = config.numEnvs * config.numSteps;
  const rolloutValues = rows * (2 * obsDim + 5);
  // 'auto' not settled yet (the backend is not open): counted as what it settles to on WebGPU, the larger.
  const onDevice = resolveEnvOn(config.envOn, config.env, 'webgpu') === 'device';
  const device = deviceRolloutLayout(config.numEnvs, config.numSteps, obsDim);
  // With envOn 'device' (device-rollout.ts): one arena of the observations (T + 1 steps), actions,
  // returns and episode statistics; beside it the final observations, rewards and flags; the env
  // state (S, N; 7 rows at most).
  const deviceValues = device.arena.size + device.side.size + 7 * config.numEnvs;
  const parameters = qNetworkWeightShapes({ obsDim, nActions, hidden: config.hidden, dueling: false, quantiles: 1, layerNorm: true }).reduce((sum, [r, c]) => sum + r * c, 0);
  const widest = Math.max(obsDim, nActions, ...config.hidden);
  const activationRows = Math.max(onDevice ? device.paddedRows : rows, pqnMinibatchSize(config));
  // Per hidden layer: the Dense output, the normalised output, the activation (and their gradients).
  const activations = activationRows * (obsDim + 3 * config.hidden.reduce((a, b) => a + b, 0) + nActions);
  return [
    {
      what: 'the rollout',
      sizedBy: `${name('numEnvs')} ${config.numEnvs} x ${name('numSteps')} ${config.numSteps}`,
      // Host: the rollout's arrays, the minibatch copies and the backend's rollout tensors; with
      // envOn 'device', the backend's tensors, the arena's padded host copy and its unpadded data.
      hostBytes: onDevice ? (deviceValues + device.arena.size + rows * (obsDim + 3)) * 4 : rolloutValues * 4 * 3,
      largestArray: onDevice ? device.arena.size : rows * obsDim,
      largestGpuBuffer: (onDevice ? device.arena.size : rows * obsDim) * 4,
      backendBytes: (onDevice ? deviceValues : rows * (obsDim + 4)) * 4,
    },
    {
      what: 'the network',
      sizedBy: `${name('hidden')} ${config.hidden.join(',')}`,
      // Backend tensors: weights, gradients, RAdam m and v; host copies: the same in a checkpoint,
      // the best weights, and their float64 .npz copy.
      hostBytes: parameters * (4 * 4 + 5 * 8 + 8),
      largestArray: parameters,
      largestGpuBuffer: parameters * 4,
      backendBytes: parameters * 6 * 4,
    },
    {
      what: 'the activations',
      sizedBy: `${name('numEnvs')} ${config.numEnvs} x ${name('numSteps')} ${config.numSteps}`,
      hostBytes: activations * 4 * 2,
      largestArray: activationRows * widest,
      largestGpuBuffer: activationRows * widest * 4,
      backendBytes: activations * 4 * 2,
    },
  ];
}

/** The parts of a PPO run's memory (host envs): the rollout, the actor and critic with Adam, and the activations. */
export function estimatePpoMemory(config: PpoConfig, obsDim: number, actionDim: number, name: SchemaFieldNamer<PpoConfig> = (key) => key): MemoryItem[] {
  const rows = config.numEnvs * config.numSteps;
  // s, s', the action (up to actionDim values), log-prob, reward, flags, values, next values, advantages, returns.
  const rolloutValues = rows * (2 * obsDim + actionDim + 8);
  const parameters = ppoWeightShapes(obsDim, actionDim, config.hidden, 'gaussian').reduce((sum, [r, c]) => sum + r * c, 0);
  const widest = Math.max(obsDim, actionDim, ...config.hidden);
  // The critic's passes over the rollout (T N rows) are the widest; per layer the output and its gradient.
  const activationRows = Math.max(rows, ppoMinibatchSize(config));
  const activations = activationRows * (obsDim + 2 * config.hidden.reduce((a, b) => a + b, 0) + actionDim + 1);
  return [
    {
      what: 'the rollout',
      sizedBy: `${name('numEnvs')} ${config.numEnvs} x ${name('numSteps')} ${config.numSteps}`,
      // The host's arrays and the backend's tensors.
      hostBytes: rolloutValues * 4 * 2,
      largestArray: rows * obsDim,
      largestGpuBuffer: rows * obsDim * 4,
      backendBytes: rolloutValues * 4,
    },
    {
      what: 'the actor and critic',
      sizedBy: `${name('hidden')} ${config.hidden.join(',')}`,
      // Backend tensors: weights, gradients, Adam m and v; host copies in a checkpoint, the best weights, the .npz.
      hostBytes: parameters * (4 * 4 + 5 * 8 + 8),
      largestArray: parameters,
      largestGpuBuffer: parameters * 4,
      backendBytes: parameters * 4 * 4,
    },
    {
      what: 'the activations',
      sizedBy: `${name('numEnvs')} ${config.numEnvs} x ${name('numSteps')} ${config.numSteps}`,
      hostBytes: activations * 4 * 2,
      largestArray: activationRows * widest,
      largestGpuBuffer: activationRows * widest * 4,
      backendBytes: activations * 4 * 2,
    },
  ];
}

/**
 * Throws InvalidArgumentError naming the flag and the size when a run whose memory is `items`
 * cannot fit (see checkRunFits).
 */
export function checkMemoryFits(items: readonly MemoryItem[], limits: MemoryLimits): void {
  for (const item of items) {
    if (item.largestArray > MAX_TYPED_ARRAY_LENGTH) {
      throw new InvalidArgumentError(
        `${item.sizedBy}: ${item.what} would need an array of ${item.largestArray.toLocaleString('en-US')} values, more than the ${MAX_TYPED_ARRAY_LENGTH.toLocaleString('en-US')} a typed array can hold`,
      );
    }
    const gpu = limits.gpu;
    if (gpu !== undefined && item.largestGpuBuffer > 0) {
      const limit = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
      if (item.largestGpuBuffer > limit) {
        throw new InvalidArgumentError(
          `${item.sizedBy}: ${item.what} would need a GPU buffer of ${formatBytes(item.largestGpuBuffer)}, more than this device allows (${formatBytes(limit)}: maxBufferSize ${gpu.maxBufferSize}, maxStorageBufferBindingSize ${gpu.maxStorageBufferBindingSize})`,
        );
      }
    }
  }
  const inMemory = items.reduce((sum, item) => sum + item.backendBytes, 0);
  if (limits.wasmMemoryBytes !== undefined && inMemory > limits.wasmMemoryBytes) {
    const parts = items.filter((item) => item.backendBytes > 0);
    throw new InvalidArgumentError(
      `${parts.map((item) => item.sizedBy).join(', ')}: the CPU backend's WebAssembly memory would need about ${formatBytes(inMemory)} ` +
        `(${parts.map((item) => `${item.what} ${formatBytes(item.backendBytes)}`).join(', ')}), more than the ${formatBytes(limits.wasmMemoryBytes)} a WebAssembly memory can hold; ` +
        `a smaller ${parts.map((item) => item.sizedBy.split(' ')[0]).join(' or ')} fits`,
    );
  }
  const total = items.reduce((sum, item) => sum + item.hostBytes, 0);
  if (total > limits.hostBytes) {
    const biggest = items.reduce((a, b) => (b.hostBytes > a.hostBytes ? b : a));
    const parts = items.map((item) => `${item.what} ${formatBytes(item.hostBytes)}`).join(', ');
    throw new InvalidArgumentError(
      `${biggest.sizedBy}: this run needs about ${formatBytes(total)} of memory (${parts}), more than the ${formatBytes(limits.hostBytes)} this machine has`,
    );
  }
}
