/**
 * PPO's hyper-parameters (Schulman et al. 2017; CleanRL's ppo.py and ppo_continuous_action.py,
 * Stable-Baselines3's PPO): the PpoConfig type, its schema (config-schema.ts: one entry per field,
 * the rules between them) and its presets. Browser-safe.
 *
 * Counted in env steps (summed over the envs, as CleanRL's global_step): steps and evalFreq. One
 * iteration is a rollout of numSteps vector steps of numEnvs envs, its GAE advantages, then
 * updateEpochs epochs of numMinibatches shuffled minibatches over its numEnvs x numSteps transitions.
 */
import { ACTIVATIONS, type Activation } from '../backend/backend.js';
import { checkName } from '../errors.js';
import type { Initializer } from '../nn/init.js';
import { DQN_CONFIG, NON_FINITE_POLICIES, type NonFinitePolicy } from './config.js';
import type { ConfigSpec } from './config-schema.js';
import { deviceRolloutProblem, resolveEnvOn, type EnvOn } from './device-rollout.js';
import { PQN_CONFIG } from './pqn-config.js';
import { MAX_HIDDEN_LAYERS } from './q-network.js';
import type { NetworkArchitecture } from './weights-file.js';

/** Every hyper-parameter of a PPO run. */
export interface PpoConfig {
  /** Environment id from the registry (Discrete actions: a categorical policy; Box: a diagonal Gaussian). */
  env: string;
  /**
   * Where the training envs step: 'host' (Gymnasium-exact), 'device' (the backend's envStep, actions
   * drawn by policySample on the device, the rollout recorded with one read back; the envs with a
   * device kernel, without normalisation), or 'auto' (device on WebGPU where that applies, else
   * host; settled when the trainer is built: ppoConfigFor).
   */
  envOn: EnvOn;
  /** Hidden widths of the actor and of the critic (two separate MLPs, as CleanRL's and SB3's MlpPolicy). */
  hidden: number[];
  /** Their hidden activation (tanh in CleanRL and SB3). */
  activation: Activation;
  /** Weight initialiser: 'orthogonal' gives CleanRL's gains (sqrt 2 hidden, 0.01 the actor's head, 1 the critic's). */
  init: Initializer;
  /** Envs stepped side by side (same-step autoreset). */
  numEnvs: number;
  /** Rollout length T: vector steps per iteration. */
  numSteps: number;
  /** Minibatches per epoch (numEnvs x numSteps must be a multiple). */
  numMinibatches: number;
  /** Epochs over each rollout. */
  updateEpochs: number;
  gamma: number;
  /** GAE's lambda. */
  gaeLambda: number;
  lr: number;
  /** Anneal the learning rate linearly to 0 over the run (CleanRL's anneal_lr). */
  lrDecay: boolean;
  /** Adam's epsilon (1e-5 in CleanRL and SB3). */
  adamEps: number;
  /** Global-norm gradient clipping threshold over actor, critic and log-std together; 0 turns it off. */
  maxGradNorm: number;
  /** The probability ratio's clip range. */
  clipCoef: number;
  /** The value loss' clip range around the rollout's values; 0 leaves it unclipped (CleanRL's clip_vloss uses clipCoef). */
  valueClip: number;
  /** Entropy bonus weight. */
  entCoef: number;
  /** Value loss weight. */
  vfCoef: number;
  /** Normalise the advantages of each minibatch. */
  normalizeAdvantages: boolean;
  /** The Gaussian policy's initial log standard deviation (Box actions). */
  logStdInit: number;
  /** Normalise observations by running statistics over all envs (rollout-normalizer.ts; SB3's VecNormalize). */
  normalizeObservation: boolean;
  /** Scale rewards by the running standard deviation of the discounted return (rollout-normalizer.ts). */
  normalizeReward: boolean;
  /** Env step budget (summed over the envs); the run ends at the iteration that reaches it. */
  steps: number;
  /** Greedy evaluation every this many env steps (at the end of the iteration that reaches it), keeping the best weights (0 = off). */
  evalFreq: number;
  evalEpisodes: number;
  /** A non-finite loss: 'stop' (throw, naming the step) or 'skip' the iteration's updates (restoring the weights from before them). */
  onNonFinite: NonFinitePolicy;
}

/**
 * `config` as a run on `backend` trains it: envOn settled (resolveEnvOn; 'auto' stays on the host
 * where observations or rewards are normalised, which the device rollout does not do). A copy.
 */
export function ppoConfigFor(config: PpoConfig, backend: string): PpoConfig {
  const normalised = config.normalizeObservation || config.normalizeReward;
  return { ...config, hidden: [...config.hidden], envOn: config.envOn === 'auto' && normalised ? 'host' : resolveEnvOn(config.envOn, config.env, backend) };
}

/** The network a PPO config trains (what its weights file records): an actor and a critic, and the observation statistics where it normalises them. */
export function ppoArchitecture(c: Pick<PpoConfig, 'hidden' | 'activation' | 'normalizeObservation'>): NetworkArchitecture {
  return { hidden: [...c.hidden], activation: c.activation, dueling: false, quantiles: 1, layerNorm: false, policy: 'actor-critic', normalizeObservation: c.normalizeObservation };
}

/** Transitions per minibatch: numEnvs x numSteps / numMinibatches. */
export function ppoMinibatchSize(c: Pick<PpoConfig, 'numEnvs' | 'numSteps' | 'numMinibatches'>): number {
  return (c.numEnvs * c.numSteps) / c.numMinibatches;
}

/** PPO's hyper-parameters; the fields it shares with DQN (env, discount, evaluation) are DQN_CONFIG's entries. */
export const PPO_CONFIG: ConfigSpec<PpoConfig> = {
  fields: {
    env: DQN_CONFIG.fields.env,
    envOn: PQN_CONFIG.fields.envOn,
    hidden: { kind: { type: 'widths', maxLayers: MAX_HIDDEN_LAYERS }, doc: 'hidden layer widths of the actor and of the critic, comma-separated', label: 'Hidden layers', main: true },
    activation: { kind: { type: 'choice', choices: () => ACTIVATIONS.filter((a) => a !== 'softmax') }, doc: 'hidden activation of both networks', label: 'Activation' },
    init: DQN_CONFIG.fields.init,
    numEnvs: DQN_CONFIG.fields.numEnvs,
    numSteps: { kind: { type: 'integer', min: 1 }, doc: 'rollout length: vector steps per iteration', label: 'Rollout steps', main: true },
    numMinibatches: { kind: { type: 'integer', min: 1 }, doc: 'minibatches per epoch over a rollout', label: 'Minibatches' },
    updateEpochs: { kind: { type: 'integer', min: 1 }, doc: 'epochs over each rollout', label: 'Epochs per rollout' },
    gamma: DQN_CONFIG.fields.gamma,
    gaeLambda: { kind: { type: 'number', min: 0, max: 1 }, doc: "GAE's lambda", label: 'GAE λ' },
    lr: { kind: { type: 'number', positive: true }, doc: 'Adam learning rate', label: 'Learning rate', main: true },
    lrDecay: { kind: { type: 'boolean' }, doc: 'anneal the learning rate linearly to 0 over the step budget', label: 'Anneal learning rate' },
    adamEps: DQN_CONFIG.fields.adamEps,
    maxGradNorm: DQN_CONFIG.fields.maxGradNorm,
    clipCoef: { kind: { type: 'number', positive: true }, doc: "the probability ratio's clip range", label: 'Clip range' },
    valueClip: { kind: { type: 'number', offAtZero: true }, doc: "the value loss' clip range around the rollout's values (0 = unclipped)", label: 'Value clip (0 = off)' },
    entCoef: { kind: { type: 'number', offAtZero: true }, doc: 'entropy bonus weight', label: 'Entropy coefficient' },
    vfCoef: { kind: { type: 'number', offAtZero: true }, doc: 'value loss weight', label: 'Value loss coefficient' },
    normalizeAdvantages: { kind: { type: 'boolean' }, doc: 'normalise the advantages of each minibatch', label: 'Normalise advantages' },
    logStdInit: { kind: { type: 'number', min: -20, max: 2 }, doc: "the Gaussian policy's initial log standard deviation (continuous actions)", label: 'Initial log std' },
    normalizeObservation: {
      kind: { type: 'boolean' },
      doc: 'normalise observations by running mean and variance over all envs, clipped to +-10 (kept in checkpoints and weights files, applied by --mode eval)',
      label: 'Normalise observations',
    },
    normalizeReward: { kind: { type: 'boolean' }, doc: "scale rewards by the running std of the discounted return, clipped to +-10", label: 'Normalise rewards' },
    steps: { kind: { type: 'integer', min: 1 }, doc: 'env step budget (summed over the envs)', label: 'Env steps', main: true },
    evalFreq: DQN_CONFIG.fields.evalFreq,
    evalEpisodes: DQN_CONFIG.fields.evalEpisodes,
    onNonFinite: {
      kind: { type: 'choice', choices: () => NON_FINITE_POLICIES },
      doc: "a NaN/Inf loss: stop (naming the step), or skip that iteration's updates (snapshots the agent every iteration: slower)",
      label: 'On a non-finite update',
    },
  },
  rules: [
    (c, name) => {
      if (c.envOn !== 'device') return null;
      const problem = deviceRolloutProblem(c.env);
      if (problem !== null) return `${name('envOn')} device: ${problem} (${name('env')} ${c.env})`;
      if (c.normalizeObservation || c.normalizeReward) return `${name('envOn')} device does not normalise observations or rewards: turn ${name(c.normalizeObservation ? 'normalizeObservation' : 'normalizeReward')} off, or use host envs`;
      return null;
    },
    (c, name) =>
      (c.numEnvs * c.numSteps) % c.numMinibatches !== 0
        ? `${name('numEnvs')} x ${name('numSteps')} (${c.numEnvs * c.numSteps}) must be a multiple of ${name('numMinibatches')} ${c.numMinibatches}`
        : null,
    (c, name) =>
      c.normalizeAdvantages && ppoMinibatchSize(c) < 2
        ? `${name('normalizeAdvantages')} needs minibatches of at least 2 transitions (${name('numEnvs')} x ${name('numSteps')} / ${name('numMinibatches')} = ${ppoMinibatchSize(c)})`
        : null,
    (c, name) =>
      c.steps < c.numEnvs * c.numSteps ? `${name('steps')} ${c.steps} is less than one rollout (${name('numEnvs')} x ${name('numSteps')} = ${c.numEnvs * c.numSteps})` : null,
  ],
};

export const PPO_PRESET_NAMES = ['ppo-cartpole', 'ppo-cleanrl', 'ppo-acrobot', 'ppo-pendulum', 'ppo-mountain-car-continuous'] as const;
export type PpoPresetName = (typeof PPO_PRESET_NAMES)[number];

/**
 * `ppo-cleanrl`: CleanRL's ppo.py defaults (vwxyzjn/cleanrl, cleanrl/ppo.py, Args): CartPole-v1,
 * 4 envs x 128 steps, 4 minibatches x 4 epochs, actor and critic 64-64 tanh with orthogonal init,
 * Adam lr 2.5e-4 (eps 1e-5) annealed to 0, gamma 0.99, GAE lambda 0.95, clip 0.2 on the ratio and
 * on the value loss, entropy 0.01, value 0.5, max grad norm 0.5, normalised advantages, 500k
 * steps; plus a greedy evaluation every 10k steps keeping the best weights, which CleanRL does not do.
 */
const PPO_CLEANRL: PpoConfig = {
  env: 'CartPole-v1',
  envOn: 'auto',
  hidden: [64, 64],
  activation: 'tanh',
  init: 'orthogonal',
  numEnvs: 4,
  numSteps: 128,
  numMinibatches: 4,
  updateEpochs: 4,
  gamma: 0.99,
  gaeLambda: 0.95,
  lr: 2.5e-4,
  lrDecay: true,
  adamEps: 1e-5,
  maxGradNorm: 0.5,
  clipCoef: 0.2,
  valueClip: 0.2,
  entCoef: 0.01,
  vfCoef: 0.5,
  normalizeAdvantages: true,
  logStdInit: 0,
  normalizeObservation: false,
  normalizeReward: false,
  steps: 500_000,
  evalFreq: 10_000,
  evalEpisodes: 10,
  onNonFinite: 'stop',
};

/**
 * `ppo-cartpole`: RL Baselines3 Zoo's tuned PPO for CartPole-v1 (hyperparams/ppo.yml): 8 envs x 32
 * steps, one minibatch of 256 x 20 epochs, lr 1e-3 annealed, gamma 0.98, GAE lambda 0.8, no
 * entropy bonus, 100k steps; SB3's defaults otherwise (64-64 tanh, clip 0.2, no value clip, max
 * grad norm 0.5). The Zoo also anneals the clip range, which this engine does not.
 */
const PPO_CARTPOLE: PpoConfig = {
  ...PPO_CLEANRL,
  hidden: [64, 64],
  numEnvs: 8,
  numSteps: 32,
  numMinibatches: 1,
  updateEpochs: 20,
  gamma: 0.98,
  gaeLambda: 0.8,
  lr: 1e-3,
  valueClip: 0,
  entCoef: 0,
  steps: 100_000,
  evalFreq: 5_000,
};

/**
 * `ppo-pendulum`: RL Baselines3 Zoo's PPO for Pendulum-v1 (hyperparams/ppo.yml) without its gSDE:
 * 4 envs x 1024 steps, minibatches of 64, gamma 0.9, GAE lambda 0.95, lr 1e-3 annealed, no entropy
 * bonus, no value clip; 20 epochs instead of the Zoo's 10, and 300k steps with a greedy evaluation
 * of 20 episodes every 20k, chosen on tuning seeds 0-4 among four candidates (docs/presets.md).
 */
const PPO_PENDULUM: PpoConfig = {
  ...PPO_CLEANRL,
  env: 'Pendulum-v1',
  hidden: [64, 64],
  numEnvs: 4,
  numSteps: 1024,
  numMinibatches: 64,
  updateEpochs: 20,
  gamma: 0.9,
  gaeLambda: 0.95,
  lr: 1e-3,
  valueClip: 0,
  entCoef: 0,
  steps: 300_000,
  evalFreq: 20_000,
  evalEpisodes: 20,
};

/**
 * `ppo-mountain-car-continuous`: 16 envs x 256 steps, 16 minibatches of 256 x 10 epochs, lr 3e-4
 * annealed, gamma 0.99, GAE lambda 0.95, no entropy bonus, observations and rewards normalised,
 * 200k steps: the first candidate tried (tuning seeds 0-2 kept greedy means 97.8-98.8, found by
 * 20-41k steps; docs/presets.md). No gSDE: the Gaussian's state-independent noise over 16 envs
 * finds the flag, and the reward normalisation keeps the action cost from teaching the car to stand still.
 */
const PPO_MOUNTAIN_CAR_CONTINUOUS: PpoConfig = {
  ...PPO_CLEANRL,
  env: 'MountainCarContinuous-v0',
  hidden: [64, 64],
  numEnvs: 16,
  numSteps: 256,
  numMinibatches: 16,
  updateEpochs: 10,
  gamma: 0.99,
  gaeLambda: 0.95,
  lr: 3e-4,
  valueClip: 0,
  entCoef: 0,
  normalizeObservation: true,
  normalizeReward: true,
  steps: 200_000,
  evalFreq: 20_000,
  evalEpisodes: 10,
};

/**
 * `ppo-acrobot`: RL Baselines3 Zoo's PPO for Acrobot-v1 (16 envs x 256 steps, minibatches of 64,
 * gamma 0.99, GAE lambda 0.94, normalised observations, no entropy bonus) with normalised rewards,
 * 10 epochs and lr 3e-4 (annealed) instead of 4 and 2.5e-4, 1M steps, 20-episode evaluations every
 * 20k: chosen on tuning seeds 0-4 among seven candidates (docs/presets.md).
 */
const PPO_ACROBOT: PpoConfig = {
  ...PPO_CLEANRL,
  env: 'Acrobot-v1',
  hidden: [64, 64],
  numEnvs: 16,
  numSteps: 256,
  numMinibatches: 64,
  updateEpochs: 10,
  gamma: 0.99,
  gaeLambda: 0.94,
  lr: 3e-4,
  valueClip: 0,
  entCoef: 0,
  normalizeObservation: true,
  normalizeReward: true,
  steps: 1_000_000,
  evalFreq: 20_000,
  evalEpisodes: 20,
};

export const PPO_PRESETS: Record<PpoPresetName, PpoConfig> = {
  'ppo-acrobot': PPO_ACROBOT,
  'ppo-mountain-car-continuous': PPO_MOUNTAIN_CAR_CONTINUOUS,
  'ppo-cartpole': PPO_CARTPOLE,
  'ppo-cleanrl': PPO_CLEANRL,
  'ppo-pendulum': PPO_PENDULUM,
};

/** A PPO preset by name, copied so callers can override fields. */
export function ppoPreset(name: string): PpoConfig {
  const p = PPO_PRESETS[checkName('preset', name, PPO_PRESET_NAMES)];
  return { ...p, hidden: [...p.hidden] };
}

/** The preset each env trains with; an env without one starts from CartPole's, its env replaced by the caller. */
const PPO_PRESET_OF_ENV: Readonly<Record<string, PpoPresetName>> = { 'CartPole-v1': 'ppo-cartpole', 'Acrobot-v1': 'ppo-acrobot', 'Pendulum-v1': 'ppo-pendulum', 'MountainCarContinuous-v0': 'ppo-mountain-car-continuous' };

/** The PPO preset a run of `env` starts from. */
export function ppoPresetFor(env: string): PpoPresetName {
  return PPO_PRESET_OF_ENV[env] ?? 'ppo-cartpole';
}
