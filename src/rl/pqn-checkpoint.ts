/**
 * A PqnTrainer snapshot (PqnState) as a checkpoint file: rollout-checkpoint.ts's format and checks
 * (weights, RAdam's moments, the best weights, the JSON of the config, counters, generators and open
 * episodes), with what is PQN's own: its config schema and presets, its network's shapes, a run's
 * envOn settled ('host' or 'device', never 'auto'), and with device envs their state (S, N) as the
 * array `deviceEnv` (float64: the counters and returns exactly) instead of host episodes.
 * Browser-safe.
 */
import { pqnWeightShapes } from './pqn-agent.js';
import { PQN_CONFIG, PQN_PRESET_NAMES, type PqnConfig } from './pqn-config.js';
import { PQN_STATE_VERSION, type PqnState } from './pqn-trainer.js';
import { deviceEnvCheckpointParts, rolloutCheckpointCodec } from './rollout-checkpoint.js';

/** The `kind` a PQN checkpoint's metadata carries. */
export const PQN_CHECKPOINT_KIND = 'pqn-trainer';

const PQN_CHECKPOINT = rolloutCheckpointCodec<PqnConfig, 'pqn', PqnState>({
  kind: PQN_CHECKPOINT_KIND,
  version: PQN_STATE_VERSION,
  algorithm: 'pqn',
  title: 'PQN',
  config: PQN_CONFIG,
  presetNames: PQN_PRESET_NAMES,
  optimizer: 'radam',
  weightShapes: (config, dims) => pqnWeightShapes(dims.obsDim, dims.nActions, config.hidden),
  ...deviceEnvCheckpointParts<PqnConfig, 'pqn', PqnState>(),
});

export const encodePqnCheckpoint = PQN_CHECKPOINT.encode;
export const decodePqnCheckpoint = PQN_CHECKPOINT.decode;
/** Throws NonFiniteError when a snapshot's weights or RAdam moments hold NaN or an infinity (a checkpoint never holds them). */
export const checkPqnStateFinite = PQN_CHECKPOINT.checkFinite;
