/** DQN: agent, trainer, replay buffer, schedules, presets, weight and checkpoint files. */
export { DQN_LOSSES, EPSILON_SCHEDULES, PRESETS, PRESET_NAMES, TARGET_UPDATES, preset, validateConfig, type DqnConfig, type DqnLoss, type EpsilonScheduleName, type PresetName, type TargetUpdate } from './config.js';
export { DqnAgent, argmax, type DqnAgentConfig, type DqnAgentState } from './dqn-agent.js';
export { DqnTrainer, evaluateGreedy, makeTrainingEnv, meanAndStd, type EpisodeLog, type EvaluationLog, type TrainerCallbacks, type TrainerState } from './dqn-trainer.js';
export { QNetwork, qNetworkWeightShapes, type QNetworkSpec } from './q-network.js';
export { ReplayBuffer, createMinibatch, type Minibatch, type ReplayBufferState } from './replay-buffer.js';
export { ExponentialEpisodeDecay, LinearStepDecay, type EpsilonSchedule } from './schedules.js';
export { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from './trainer-checkpoint.js';
export { decodeWeightsNpz, encodeWeightsNpz, inferMlpHiddenWidths } from './weights-file.js';
