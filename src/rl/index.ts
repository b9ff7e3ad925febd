/** The algorithm registry and hyper-parameter schemas; DQN: agent, trainer, replay buffer, schedules, presets, weight and checkpoint files; PQN's and PPO's agents, configs and trainers. */
export {
  ALGORITHMS,
  ALGORITHM_NAMES,
  DEFAULT_ALGORITHM,
  DQN_ALGORITHM,
  PQN_ALGORITHM,
  PPO_ALGORITHM,
  algorithm,
  checkpointAlgorithm,
  describeNetwork,
  presetOwner,
  withAlgorithm,
  type AlgorithmEntry,
  type AlgorithmName,
  type AlgorithmUser,
  type CheckpointCodec,
} from './algorithms.js';
export { validateWithSchema, type ConfigSchema, type ConfigSpec, type CrossFieldRule, type FieldKind, type FieldSpec } from './config-schema.js';
export type { BaseConfig, BaseState, Trainer, TrainerPolicy } from './trainer.js';
export { DQN_CONFIG, DQN_LOSSES, EPSILON_SCHEDULES, PRESETS, PRESET_NAMES, TARGET_UPDATES, preset, validateConfig, type DqnConfig, type DqnLoss, type EpsilonScheduleName, type PresetName, type TargetUpdate } from './config.js';
export { DqnAgent, argmax, type DqnAgentConfig, type DqnAgentState } from './dqn-agent.js';
export { DqnTrainer, type EpisodeLog, type TrainerCallbacks } from './dqn-trainer.js';
export { DuelingHead } from './dueling-head.js';
export { evaluateGreedy, type GreedyPolicy } from './greedy-evaluation.js';
export type { EvaluationLog } from './periodic-evaluation.js';
export { PqnAgent, pqnWeightShapes, type PqnAgentConfig, type PqnAgentState, type PqnMinibatch } from './pqn-agent.js';
export { DeviceRollout, deviceRolloutProblem, type DeviceRolloutConfig, type DeviceRolloutData, type DeviceRolloutNetwork } from './device-rollout.js';
export { ENV_ON, PQN_CONFIG, PQN_PRESETS, PQN_PRESET_NAMES, pqnConfigFor, pqnPreset, resolveEnvOn, type EnvOn, type PqnConfig, type PqnPresetName, type SettledEnvOn } from './pqn-config.js';
export { PqnTrainer, validatePqnConfig, type PqnState } from './pqn-trainer.js';
export { decodePqnCheckpoint, encodePqnCheckpoint } from './pqn-checkpoint.js';
export { PpoAgent, ppoWeightShapes, type PpoAgentConfig, type PpoAgentState, type PpoRolloutTensors } from './ppo-agent.js';
export { PPO_CONFIG, PPO_PRESETS, PPO_PRESET_NAMES, ppoConfigFor, ppoPreset, type PpoConfig, type PpoPresetName } from './ppo-config.js';
export { PpoTrainer, validatePpoConfig, type PpoState } from './ppo-trainer.js';
export { PPO_CHECKPOINT } from './ppo-checkpoint.js';
export { RolloutNormalizer, NORMALIZE_CLIP, NORMALIZE_EPSILON, type RolloutNormalizerState } from './rollout-normalizer.js';
export { playableNetwork, type PlayableNetwork } from './playable-network.js';
export { QNetwork, qNetworkWeightShapes, type QNetworkSpec } from './q-network.js';
export { ReplayBuffer, createMinibatch, type Minibatch, type ReplayBufferState } from './replay-buffer.js';
export { ExponentialEpisodeDecay, LinearStepDecay, createEpsilonSchedule, type EpsilonSchedule, type EpsilonScheduleConfig } from './schedules.js';
export { meanAndStd } from './statistics.js';
export type { TrainerState } from './trainer-state.js';
export { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from './trainer-checkpoint.js';
export { makeTrainingEnv } from './training-env.js';
export { decodeWeightsNpz, encodeWeightsNpz, inferMlpHiddenWidths, networkRecord, readWeightsFile, type NetworkArchitecture, type NetworkRecord } from './weights-file.js';
export { resolveWeightsNetwork } from './weights-network.js';
