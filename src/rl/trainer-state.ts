/**
 * A DqnTrainer snapshot: everything that makes `run` continue exactly where it stopped. Each part
 * comes from the component that owns it (agent, replay buffer, the envs' open episodes, periodic
 * evaluation); trainer-checkpoint.ts stores it in a file.
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import type { RngState } from '../random/rng.js';
import type { DqnConfig } from './config.js';
import type { OpenEpisodeState } from './open-episode.js';
import type { PeriodicEvaluationState } from './periodic-evaluation.js';
import type { ReplayBufferState } from './replay-buffer.js';

/** The snapshot format this code writes (it reads version 1 too: see upgradeTrainerState). */
export const TRAINER_STATE_VERSION = 2;

/** Where the acting pipeline stood (see DqnTrainer): which group decides next, and actions decided but not yet stepped. */
export interface ActingState {
  nextGroup: number;
  /** The group whose actions are decided and not yet stepped, or -1. */
  pendingGroup: number;
  /** Those actions (empty when none). */
  pendingActions: number[];
  /** The epsilon each env's latest action was drawn with. */
  epsilons: number[];
}

export interface TrainerState extends PeriodicEvaluationState {
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
  /** Each env's episode in progress. */
  envs: OpenEpisodeState[];
  acting: ActingState;
  online: FloatArray[];
  target: FloatArray[];
  /** The policy average's weights (config.policyAverageTau > 0), else null. */
  averaged: FloatArray[] | null;
  optimizer: OptimizerState;
  replay: ReplayBufferState;
}

/** A version-1 snapshot: one env, its episode's fields at the top level, no vector settings. */
type TrainerStateV1 = Omit<TrainerState, 'version' | 'envs' | 'acting' | 'config'> &
  OpenEpisodeState & { version: 1; config: Omit<DqnConfig, 'numEnvs' | 'actingGroups'> };

/**
 * A snapshot in this code's format from one of version 1 or 2 (other versions are returned as
 * they are, for checkRestorable to refuse). Version 1 had one env and no acting groups.
 */
export function upgradeTrainerState(state: TrainerState | TrainerStateV1): TrainerState {
  if (state.version !== 1) return state;
  const { envRng, episodeResetSeed, episodeActions, episodeShapedReturn, version: _version, config, ...rest } = state;
  return {
    ...rest,
    version: TRAINER_STATE_VERSION,
    config: { ...config, numEnvs: 1, actingGroups: 1 },
    envs: [{ envRng, episodeResetSeed, episodeActions, episodeShapedReturn }],
    acting: { nextGroup: 0, pendingGroup: -1, pendingActions: [], epsilons: [0] },
  };
}

/** Throws unless `state` is a snapshot this code can restore into a trainer seeded with `seed` stepping `numEnvs` envs. */
export function checkRestorable(state: TrainerState, seed: number, numEnvs: number): void {
  if (state.version !== TRAINER_STATE_VERSION) {
    throw new InvalidArgumentError(`checkpoint format version ${String(state.version)} is not supported (expected ${TRAINER_STATE_VERSION})`);
  }
  if (state.seed !== seed) throw new InvalidArgumentError(`checkpoint was made with seed ${state.seed}, this run uses ${seed}`);
  if (!Array.isArray(state.envs) || state.envs.length !== numEnvs) {
    throw new InvalidArgumentError(`checkpoint holds ${Array.isArray(state.envs) ? state.envs.length : 'no'} env states, this run steps ${numEnvs} envs`);
  }
}
