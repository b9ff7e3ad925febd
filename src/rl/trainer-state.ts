/**
 * A DqnTrainer snapshot: everything that makes `run` continue exactly where it stopped. Each part
 * comes from the component that owns it (agent, replay buffer, open episode, periodic evaluation);
 * trainer-checkpoint.ts stores it in a file.
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import type { RngState } from '../random/rng.js';
import type { DqnConfig } from './config.js';
import type { OpenEpisodeState } from './open-episode.js';
import type { PeriodicEvaluationState } from './periodic-evaluation.js';
import type { ReplayBufferState } from './replay-buffer.js';

/** The snapshot format this code writes and reads. */
export const TRAINER_STATE_VERSION = 1;

export interface TrainerState extends OpenEpisodeState, PeriodicEvaluationState {
  version: typeof TRAINER_STATE_VERSION;
  config: DqnConfig;
  seed: number;
  steps: number;
  episodes: number;
  updates: number;
  lastLoss: number;
  updatesSinceLossRead: number;
  /** Returns of the latest (up to) 100 episodes, oldest first. */
  recentReturns: number[];
  /** The run's one random stream (exploration and replay sampling from here on). */
  rng: RngState;
  online: FloatArray[];
  target: FloatArray[];
  optimizer: OptimizerState;
  replay: ReplayBufferState;
}

/** Throws unless `state` is a snapshot this code can restore into a trainer seeded with `seed`. */
export function checkRestorable(state: TrainerState, seed: number): void {
  if (state.version !== TRAINER_STATE_VERSION) {
    throw new InvalidArgumentError(`checkpoint format version ${String(state.version)} is not supported (expected ${TRAINER_STATE_VERSION})`);
  }
  if (state.seed !== seed) throw new InvalidArgumentError(`checkpoint was made with seed ${state.seed}, this run uses ${seed}`);
}
