/**
 * A PpoTrainer snapshot (PpoState) as a checkpoint file: rollout-checkpoint.ts's format and checks
 * (weights, Adam's moments, the best weights, the JSON of the config, counters, generators and open
 * episodes), with PPO's config schema and presets, and its actor, critic and log-std shapes.
 * Browser-safe.
 */
import { ppoWeightShapes } from './ppo-agent.js';
import { PPO_CONFIG, PPO_PRESET_NAMES, type PpoConfig } from './ppo-config.js';
import { PPO_STATE_VERSION, type PpoState } from './ppo-trainer.js';
import { rolloutCheckpointCodec } from './rollout-checkpoint.js';

/** The `kind` a PPO checkpoint's metadata carries. */
export const PPO_CHECKPOINT_KIND = 'ppo-trainer';

export const PPO_CHECKPOINT = rolloutCheckpointCodec<PpoConfig, 'ppo', PpoState>({
  kind: PPO_CHECKPOINT_KIND,
  version: PPO_STATE_VERSION,
  algorithm: 'ppo',
  title: 'PPO',
  config: PPO_CONFIG,
  presetNames: PPO_PRESET_NAMES,
  optimizer: 'adam',
  weightShapes: (config, dims) => ppoWeightShapes(dims.obsDim, dims.nActions, config.hidden, 'categorical'),
  hostEnvs: (config) => config.numEnvs,
});
