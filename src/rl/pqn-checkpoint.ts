/**
 * A PqnTrainer snapshot (PqnState) as a checkpoint file: rollout-checkpoint.ts's format and checks
 * (weights, RAdam's moments, the best weights, the JSON of the config, counters, generators and open
 * episodes), with what is PQN's own: its config schema and presets, its network's shapes, a run's
 * envOn settled ('host' or 'device', never 'auto'), and with device envs their state (S, N) as the
 * array `deviceEnv` (float64: the counters and returns exactly) instead of host episodes.
 * Browser-safe.
 */
import { DEVICE_ENV_SPECS, type DeviceEnvKind } from '../backend/backend.js';
import { pqnWeightShapes } from './pqn-agent.js';
import { PQN_CONFIG, PQN_PRESET_NAMES, type PqnConfig } from './pqn-config.js';
import { PQN_STATE_VERSION, type PqnState } from './pqn-trainer.js';
import { rolloutCheckpointCodec } from './rollout-checkpoint.js';

/** The `kind` a PQN checkpoint's metadata carries. */
export const PQN_CHECKPOINT_KIND = 'pqn-trainer';

/** The array of the device envs' state (S, N) in a checkpoint of an envOn 'device' run. */
const DEVICE_ENV_ARRAY = 'deviceEnv';

const PQN_CHECKPOINT = rolloutCheckpointCodec<PqnConfig, 'pqn', PqnState>({
  kind: PQN_CHECKPOINT_KIND,
  version: PQN_STATE_VERSION,
  algorithm: 'pqn',
  title: 'PQN',
  config: PQN_CONFIG,
  presetNames: PQN_PRESET_NAMES,
  optimizer: 'radam',
  weightShapes: (config, dims) => pqnWeightShapes(dims.obsDim, dims.nActions, config.hidden),
  // A run records where its envs stepped (pqnConfigFor), so that it resumes the same way on any backend.
  checkConfig: (config, fields) => {
    if (config.envOn === 'auto') fields.bad('config.envOn', "is 'auto'; a checkpoint records the run's own, 'host' or 'device'");
  },
  // Device envs keep no host episodes: their state is the deviceEnv array.
  hostEnvs: (config) => (config.envOn === 'device' ? 0 : config.numEnvs),
  extraArrays: {
    lengths: (config) =>
      new Map(config.envOn === 'device' ? [[DEVICE_ENV_ARRAY, DEVICE_ENV_SPECS[config.env as DeviceEnvKind].stateRows * config.numEnvs]] : []),
    encode: (state): Record<string, Float64Array> => (state.deviceEnv !== undefined ? { [DEVICE_ENV_ARRAY]: Float64Array.from(state.deviceEnv) } : {}),
    decode: (arrays, config) => (config.envOn === 'device' ? { deviceEnv: Array.from(arrays.get(DEVICE_ENV_ARRAY) ?? []) } : {}),
  },
});

export const encodePqnCheckpoint = PQN_CHECKPOINT.encode;
export const decodePqnCheckpoint = PQN_CHECKPOINT.decode;
/** Throws NonFiniteError when a snapshot's weights or RAdam moments hold NaN or an infinity (a checkpoint never holds them). */
export const checkPqnStateFinite = PQN_CHECKPOINT.checkFinite;
