/**
 * Where a device rollout (device-rollout.ts) keeps each vector step's values: the one definition
 * of its padded layout, read by the rollout itself, by PQN's minibatch gathering (row) and by the
 * memory estimate. Browser-safe.
 *
 * Every output of envStep and epsilonGreedy is a view of one step's block of a rollout tensor, and
 * a view's offset must be a multiple of VIEW_ALIGNMENT (64 elements). So each step's block of N
 * envs takes Np = roundUp(N, 64) columns: step t's rows start at t Np (scalars), t Np obsDim
 * (observations) and 2 t Np (the (2, N) episode statistics), all aligned, and the ops run on views
 * of exactly N envs. The Np - N padding columns are never written by a step and stay zero; the
 * per-rollout ops (the reward scale, the forward pass of the final observations, qLambdaReturns)
 * run over all T Np columns, where zeros give finite values (Q of a zero observation, a zero
 * reward, no flags) that no minibatch reads. With N a multiple of 64, Np = N: no padding.
 */
import { VIEW_ALIGNMENT, type FloatArray } from '../backend/backend.js';

/** One rollout tensor's per-step blocks: block t starts at offset + t stride; its first `used` values are the N envs'. */
export interface RolloutBlocks {
  offset: number;
  stride: number;
  used: number;
  /** Blocks (vector steps) held. */
  count: number;
}

export interface DeviceRolloutLayout {
  /** N: envs stepped. */
  numEnvs: number;
  /** Np: columns per step, N rounded up to VIEW_ALIGNMENT. */
  paddedEnvs: number;
  /** T: vector steps per rollout. */
  numSteps: number;
  obsDim: number;
  /**
   * The arena read back: observations (T + 1 blocks of Np rows: the last is the next rollout's
   * first), actions, returns (T blocks of Np) and episode statistics (T blocks of 2 Np).
   */
  arena: { observations: RolloutBlocks; actions: RolloutBlocks; returns: RolloutBlocks; episodes: RolloutBlocks; size: number };
  /** The tensors beside it, written by envStep per step and read by the per-rollout ops: final observations (T Np, obsDim); rewards, terminated, truncated (T, Np) each. */
  side: { finalObservations: RolloutBlocks; scalars: RolloutBlocks; size: number };
  /** Rows of the (T Np)-row tensors the per-rollout forward pass and qLambdaReturns run over. */
  paddedRows: number;
}

/** `n` rounded up to a multiple of VIEW_ALIGNMENT. */
function aligned(n: number): number {
  return Math.ceil(n / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
}

/** The layout of a rollout of `numSteps` vector steps of `numEnvs` envs with observations of `obsDim` values. */
export function deviceRolloutLayout(numEnvs: number, numSteps: number, obsDim: number): DeviceRolloutLayout {
  const n = numEnvs;
  const np = aligned(n);
  const T = numSteps;
  const observations = { offset: 0, stride: np * obsDim, used: n * obsDim, count: T + 1 };
  const actions = { offset: (T + 1) * np * obsDim, stride: np, used: n, count: T };
  const returns = { offset: actions.offset + T * np, stride: np, used: n, count: T };
  const episodes = { offset: returns.offset + T * np, stride: 2 * np, used: 2 * n, count: T };
  const finalObservations = { offset: 0, stride: np * obsDim, used: n * obsDim, count: T };
  const scalars = { offset: 0, stride: np, used: n, count: T };
  return {
    numEnvs: n,
    paddedEnvs: np,
    numSteps: T,
    obsDim,
    arena: { observations, actions, returns, episodes, size: episodes.offset + T * 2 * np },
    // The final observations, then three (T, Np) scalar tensors.
    side: { finalObservations, scalars, size: T * np * (obsDim + 3) },
    paddedRows: T * np,
  };
}

/** The padded row of transition i = t N + n (env n's step t, time-major): t Np + n. */
export function paddedRow(layout: DeviceRolloutLayout, i: number): number {
  const t = Math.floor(i / layout.numEnvs);
  return t * layout.paddedEnvs + (i - t * layout.numEnvs);
}

/** Writes the padded rows of `rows` (transition indices) into `out` (of the same length); returns `out`. */
export function paddedRows(layout: DeviceRolloutLayout, rows: ArrayLike<number>, out: Int32Array): Int32Array {
  for (let k = 0; k < rows.length; k++) out[k] = paddedRow(layout, rows[k]);
  return out;
}

/** Copies the used values of the first `count` of `blocks`' blocks in `src` (laid out as the blocks) into `dst`, back to back (count x used). */
export function unpadBlocks(blocks: RolloutBlocks, src: FloatArray, dst: FloatArray, count = blocks.count): void {
  for (let t = 0; t < count; t++) {
    const start = blocks.offset + t * blocks.stride;
    dst.set(src.subarray(start, start + blocks.used), t * blocks.used);
  }
}
