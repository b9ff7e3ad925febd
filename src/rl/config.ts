import { ACTIVATIONS, TD_LOSSES, type Activation } from '../backend/backend.js';
import { discreteActionsProblem, registeredEnvIds } from '../envs/registry.js';
import { REWARD_SHAPINGS, rewardShapingEnvs, rewardShapingFits } from '../envs/wrappers/reward-shaping.js';
import { InvalidArgumentError, checkName } from '../errors.js';
import { INITIALIZERS, type Initializer } from '../nn/init.js';
import { validateWithSchema, type ConfigSpec, type FieldNamer as SchemaFieldNamer, type MessagePrefix } from './config-schema.js';
import { MAX_HIDDEN_LAYERS } from './q-network.js';
import type { NetworkArchitecture } from './weights-file.js';
import { checkEpsilonScheduleConfig } from './schedules.js';

/** The TD losses a DQN config names: the backend's tdLoss kinds. */
export const DQN_LOSSES = TD_LOSSES;
export type DqnLoss = (typeof DQN_LOSSES)[number];
export const EPSILON_SCHEDULES = ['exponential-episode', 'linear-step'] as const;
export type EpsilonScheduleName = (typeof EPSILON_SCHEDULES)[number];
export const TARGET_UPDATES = ['soft', 'hard'] as const;
export type TargetUpdate = (typeof TARGET_UPDATES)[number];
/** What training does when an update gives a non-finite loss or parameters (non-finite-guard.ts). */
export const NON_FINITE_POLICIES = ['stop', 'skip'] as const;
export type NonFinitePolicy = (typeof NON_FINITE_POLICIES)[number];

/** Every hyper-parameter of a DQN run. Each has a CLI flag of the same name in kebab-case. */
export interface DqnConfig {
  /** Environment id from the registry. */
  env: string;
  /** Reward shaping by name ('none' or a registered shaping such as 'cartpole-position'). */
  rewardShaping: string;
  /** Hidden layer widths. */
  hidden: number[];
  /** Hidden activation; the Q head is linear. */
  activation: Activation;
  init: Initializer;
  /** Split the head into value and advantage streams (Wang et al. 2016). */
  dueling: boolean;
  /** Pick the next action with the online net and evaluate it with the target net (van Hasselt et al. 2016). */
  doubleDqn: boolean;
  /**
   * 1: a plain DQN head (one Q-value per action). N > 1: QR-DQN (Dabney et al. 2018): N quantiles
   * of the return per action, learnt with the quantile Huber loss (needs loss 'huber', not with
   * dueling); Q(s, a) is their mean, which acts and picks a'.
   */
  quantiles: number;
  /**
   * Munchausen DQN (Vieillard et al. 2020; 0 = off): the TD target adds this times the clipped
   * scaled log-probability tau log pi(a | s) of the action taken under pi = softmax(Q_target / tau),
   * and bootstraps from the soft value of s' (sum_a' pi (Q_target - tau log pi)) instead of the
   * max. The paper's alpha is 0.9. Not with doubleDqn or quantiles.
   */
  munchausen: number;
  /** Munchausen DQN's entropy temperature tau (the paper's 0.03). */
  munchausenTau: number;
  gamma: number;
  /**
   * n-step returns: the TD target sums the discounted rewards of up to nStep transitions of one
   * episode and bootstraps with gamma^m from the observation m <= nStep steps on (1: plain DQN).
   */
  nStep: number;
  lr: number;
  adamEps: number;
  loss: DqnLoss;
  huberDelta: number;
  /** Global-norm gradient clipping threshold; 0 turns clipping off. */
  maxGradNorm: number;
  batchSize: number;
  bufferSize: number;
  /**
   * Environments stepped side by side as one vector env (same-step autoreset), acting through one
   * forward pass per vector step. Counted in env steps (transitions, summed over the envs, as
   * Stable-Baselines3's num_timesteps): steps, learningStarts, targetUpdateInterval, evalFreq and
   * the epsilon schedule; counted in vector steps: trainFreq.
   */
  numEnvs: number;
  /**
   * 1: every env acts on one forward pass. 2: the envs act in two halves, in turn: while the device
   * computes Q for one half, the host steps the other (so a half acts on weights at most one round
   * of updates old). Needs an even numEnvs.
   */
  actingGroups: number;
  /** Env steps collected before the first update. */
  learningStarts: number;
  /** Vector steps (env steps with one env) between rounds of updates. */
  trainFreq: number;
  /** Updates per round. */
  gradientSteps: number;
  targetUpdate: TargetUpdate;
  /** Soft update rate, applied after every update when targetUpdate is 'soft'. */
  tau: number;
  /** Hard copy every this many env steps when targetUpdate is 'hard' (as Stable-Baselines3). */
  targetUpdateInterval: number;
  /**
   * Policy averaging (0 = off): after every update, an averaged copy of the online network moves
   * towards it by this rate (averaged += tau (online - averaged), an exponential moving average of
   * the weights over about 1/tau updates), and the greedy evaluations, the kept weights and the saved
   * weights are the averaged network's; acting and learning stay with the online network. The
   * averaged policy swings far less than the online one between updates (docs/presets.md).
   */
  policyAverageTau: number;
  epsilonSchedule: EpsilonScheduleName;
  epsilonStart: number;
  epsilonEnd: number;
  /** Per-episode factor of the 'exponential-episode' schedule. */
  epsilonDecay: number;
  /** Fraction of the step budget over which the 'linear-step' schedule decays. */
  explorationFraction: number;
  /** Step budget (training ends at whichever of steps/episodes comes first; 0 = no limit). */
  steps: number;
  /** Episode budget (0 = no limit). */
  episodes: number;
  /** Greedy evaluation every this many env steps, keeping the best weights (0 = off). */
  evalFreq: number;
  /** Episodes per periodic evaluation. */
  evalEpisodes: number;
  /** Read the loss back every this many updates (a readback stalls the WebGPU pipeline). */
  lossReadInterval: number;
  /**
   * A non-finite loss or parameter: 'stop' training (naming the step; nothing non-finite is
   * saved), or 'skip' the round of updates that produced it, restoring the weights from before it
   * (reads the loss and weights back after every round: slower, most of all on WebGPU).
   */
  onNonFinite: NonFinitePolicy;
}

export const PRESET_NAMES = [
  'default',
  'vector',
  'pole-down',
  'pole-down-vector',
  'acrobot',
  'acrobot-vector',
  'mountain-car',
  'mountain-car-vector',
  'seed',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * `default`: CartPole-v1, tuned to solve reliably (greedy mean >= 475 over 100 episodes on unseen
 * seeds: `npm run check:solve`, README) within 50k env steps: a 64-64 ReLU net with torch's default
 * init, Double DQN with 3-step returns, Adam 1.5e-3, batch 64, Huber loss, gradient norm 10, a 200k
 * replay buffer, an update every second step with a soft target update (tau 0.005), epsilon 1 ->
 * 0.05 over the first 10k steps, and a greedy evaluation every 2500 steps keeping the best weights (as the RL-Zoo keeps
 * best_model). docs/presets.md tells how it was found and what the RL-Zoo settings do here.
 *
 * `seed`: numpy-rl-engine's settings (hidden 64,64, Adam lr 0.01, MSE, batch 32, an update every 4
 * steps after 32 warm-up transitions, soft update tau 0.01 after every update, epsilon 1.0 x 0.995
 * per episode down to 0.01, buffer 10000, gamma 0.99, reward shaping reward - |x|, 1000 episodes,
 * weights randn * 0.01). Its bugs are not ported: each episode gets a fresh reset, gradients are right.
 */
const DEFAULT_PRESET: DqnConfig = {
  env: 'CartPole-v1',
  rewardShaping: 'none',
  hidden: [64, 64],
  activation: 'relu',
  init: 'torch_default',
  dueling: false,
  doubleDqn: true,
  quantiles: 1,
  munchausen: 0,
  munchausenTau: 0.03,
  gamma: 0.99,
  nStep: 3,
  lr: 1.5e-3,
  adamEps: 1e-8,
  loss: 'huber',
  huberDelta: 1,
  maxGradNorm: 10,
  batchSize: 64,
  bufferSize: 200_000,
  learningStarts: 1000,
  numEnvs: 1,
  actingGroups: 1,
  trainFreq: 2,
  gradientSteps: 1,
  targetUpdate: 'soft',
  tau: 0.005,
  targetUpdateInterval: 1,
  policyAverageTau: 0,
  epsilonSchedule: 'linear-step',
  epsilonStart: 1,
  epsilonEnd: 0.05,
  epsilonDecay: 0.995,
  explorationFraction: 0.2,
  steps: 50_000,
  episodes: 0,
  evalFreq: 2_500,
  evalEpisodes: 10,
  lossReadInterval: 250,
  onNonFinite: 'stop',
};

/** `pole-down`: CartPolePoleDown-v1 (keep the hanging pole within 12 degrees of down) with the default's learning. */
const POLE_DOWN_PRESET: DqnConfig = { ...DEFAULT_PRESET, env: 'CartPolePoleDown-v1' };

/**
 * `acrobot`: Acrobot-v1 (target: greedy mean >= -80 within 100k steps; RL-Zoo's DQN reaches
 * -76.6 +/- 11.8, its QR-DQN -69.7 +/- 9.2): RL-Zoo's QR-DQN settings, 25 quantiles per action,
 * 1-step targets, 4 updates every 4 env steps (docs/presets.md has the DQN variants it beat).
 */
const ACROBOT_PRESET: DqnConfig = {
  ...DEFAULT_PRESET,
  env: 'Acrobot-v1',
  hidden: [256, 256],
  doubleDqn: false,
  quantiles: 25,
  nStep: 1,
  gamma: 0.99,
  lr: 6.3e-4,
  batchSize: 128,
  bufferSize: 50_000,
  learningStarts: 1000,
  trainFreq: 4,
  gradientSteps: 4,
  targetUpdate: 'hard',
  targetUpdateInterval: 250,
  epsilonEnd: 0.1,
  explorationFraction: 0.12,
  steps: 100_000,
  evalFreq: 5_000,
  evalEpisodes: 50,
};

/**
 * `mountain-car`: MountainCar-v0 (target: greedy mean >= -105 within 120k steps; RL-Zoo's DQN
 * reaches -100.8 +/- 9.9).
 */
const MOUNTAIN_CAR_PRESET: DqnConfig = {
  ...DEFAULT_PRESET,
  env: 'MountainCar-v0',
  hidden: [256, 256],
  gamma: 0.98,
  lr: 4e-3,
  batchSize: 128,
  bufferSize: 10_000,
  learningStarts: 1000,
  trainFreq: 16,
  gradientSteps: 8,
  targetUpdate: 'hard',
  targetUpdateInterval: 600,
  epsilonEnd: 0.07,
  explorationFraction: 0.2,
  steps: 120_000,
  evalFreq: 5_000,
  evalEpisodes: 50,
};

/** Envs side by side in a vector flavour: one forward pass (one read back on a GPU) per this many env steps. */
export const VECTOR_ENVS = 16;

/**
 * The vector flavour of a one-env preset, for a GPU: VECTOR_ENVS envs side by side, a round of
 * updates every vector step that keeps the preset's updates per env step (so `vector` does 8
 * updates per 16 env steps, as `default` does one per two), everything counted in env steps
 * (learning starts, target copies, evaluations, the epsilon schedule) unchanged.
 */
export function vectorFlavour(p: DqnConfig): DqnConfig {
  const gradientSteps = (VECTOR_ENVS * p.gradientSteps) / p.trainFreq;
  if (!Number.isInteger(gradientSteps)) throw new InvalidArgumentError(`no vector flavour: ${VECTOR_ENVS} x gradientSteps ${p.gradientSteps} / trainFreq ${p.trainFreq} is not an integer`);
  return { ...p, hidden: [...p.hidden], numEnvs: VECTOR_ENVS, actingGroups: 1, trainFreq: 1, gradientSteps };
}

export const PRESETS: Record<PresetName, DqnConfig> = {
  default: DEFAULT_PRESET,
  vector: vectorFlavour(DEFAULT_PRESET),
  'pole-down': POLE_DOWN_PRESET,
  'pole-down-vector': vectorFlavour(POLE_DOWN_PRESET),
  acrobot: ACROBOT_PRESET,
  'acrobot-vector': vectorFlavour(ACROBOT_PRESET),
  'mountain-car': MOUNTAIN_CAR_PRESET,
  'mountain-car-vector': vectorFlavour(MOUNTAIN_CAR_PRESET),
  seed: {
    env: 'CartPole-v1',
    rewardShaping: 'cartpole-position',
    hidden: [64, 64],
    activation: 'relu',
    init: 'normal',
    dueling: false,
    doubleDqn: false,
    quantiles: 1,
    munchausen: 0,
    munchausenTau: 0.03,
    gamma: 0.99,
    nStep: 1,
    lr: 0.01,
    adamEps: 1e-8,
    loss: 'mse',
    huberDelta: 1,
    maxGradNorm: 0,
    batchSize: 32,
    bufferSize: 10_000,
    learningStarts: 32,
    numEnvs: 1,
    actingGroups: 1,
    trainFreq: 4,
    gradientSteps: 1,
    targetUpdate: 'soft',
    tau: 0.01,
    targetUpdateInterval: 1,
    policyAverageTau: 0,
    epsilonSchedule: 'exponential-episode',
    epsilonStart: 1,
    epsilonEnd: 0.01,
    epsilonDecay: 0.995,
    explorationFraction: 0.1,
    steps: 0,
    episodes: 1000,
    evalFreq: 0,
    evalEpisodes: 10,
    lossReadInterval: 100,
    onNonFinite: 'stop',
  },
};

/** The network a DQN config trains (what its weights file records). */
export function dqnArchitecture(c: Pick<DqnConfig, 'hidden' | 'activation' | 'dueling' | 'quantiles'>): NetworkArchitecture {
  return { hidden: [...c.hidden], activation: c.activation, dueling: c.dueling, quantiles: c.quantiles, layerNorm: false, policy: 'q-network' };
}

/** The algorithm a config trains, by its usual name: 'QR-DQN', 'Munchausen DQN' or 'DQN'. */
export function algorithmName(config: Pick<DqnConfig, 'quantiles' | 'munchausen'>): string {
  if (config.quantiles > 1) return 'QR-DQN';
  return config.munchausen > 0 ? 'Munchausen DQN' : 'DQN';
}

/** The presets that train an env: one env (a CPU), and the vector flavour (a GPU). */
const ENV_PRESETS: Record<string, { single: PresetName; vector: PresetName }> = {
  'CartPole-v1': { single: 'default', vector: 'vector' },
  'CartPolePoleDown-v1': { single: 'pole-down', vector: 'pole-down-vector' },
  'Acrobot-v1': { single: 'acrobot', vector: 'acrobot-vector' },
  'MountainCar-v0': { single: 'mountain-car', vector: 'mountain-car-vector' },
};

/**
 * The preset a run of `env` starts from when none is named: the env's own, in its vector flavour
 * on WebGPU (a GPU acts on many envs at once). An env without presets of its own (CartPole-v0)
 * gets CartPole-v1's, its env field overridden by the caller.
 */
export function presetFor(env: string, backend: string): PresetName {
  const entry = ENV_PRESETS[env] ?? ENV_PRESETS['CartPole-v1'];
  return backend === 'webgpu' ? entry.vector : entry.single;
}

/** A preset by name, copied so callers can override fields. */
export function preset(name: string): DqnConfig {
  const key = checkName('preset', name, PRESET_NAMES);
  const p = PRESETS[key];
  return { ...p, hidden: [...p.hidden] };
}

/** The preset from which `config` differs in the fewest fields (ties go to the first in PRESET_NAMES). */
export function closestPreset(config: DqnConfig): PresetName {
  const differences = (name: PresetName) => {
    const p = PRESETS[name];
    return (Object.keys(p) as (keyof DqnConfig)[]).filter((key) => JSON.stringify(p[key]) !== JSON.stringify(config[key])).length;
  };
  return PRESET_NAMES.reduce((best, name) => (differences(name) < differences(best) ? name : best));
}

/** The most environments one run steps side by side. */
export const MAX_ENVS = 4096;

/** How a config field is spelt in messages: the field name itself, or the CLI's flag (--batch-size). */
export type FieldNamer = SchemaFieldNamer<DqnConfig>;

/**
 * DQN's hyper-parameters (config-schema.ts): the one table of every field's kind, range, help,
 * page label and older-checkpoint value, in the order the CLI's help lists them, and the rules
 * between fields. The CLI's flags, the page's form, validateConfig and checkpoint upgrading are
 * derived from it.
 */
export const DQN_CONFIG: ConfigSpec<DqnConfig> = {
  fields: {
    env: { kind: { type: 'choice', choices: registeredEnvIds }, doc: 'environment id', label: 'Environment', main: true },
    rewardShaping: { kind: { type: 'choice', choices: () => Object.keys(REWARD_SHAPINGS) }, doc: 'reward shaping applied to the rewards the agent learns from', label: 'Reward shaping' },
    hidden: { kind: { type: 'widths', maxLayers: MAX_HIDDEN_LAYERS }, doc: 'hidden layer widths, comma-separated', label: 'Hidden layers', main: true },
    activation: { kind: { type: 'choice', choices: () => ACTIVATIONS }, doc: 'hidden activation', label: 'Activation' },
    init: { kind: { type: 'choice', choices: () => INITIALIZERS }, doc: 'weight initialiser', label: 'Initializer' },
    dueling: { kind: { type: 'boolean' }, doc: 'dueling value/advantage heads', label: 'Dueling head' },
    quantiles: {
      kind: { type: 'integer', min: 1 },
      doc: 'quantiles per action: 1 = DQN, N > 1 = QR-DQN (needs --loss huber, no --dueling)',
      label: 'Quantiles per action (QR-DQN)',
      olderCheckpoints: 1,
    },
    doubleDqn: { kind: { type: 'boolean' }, doc: 'Double DQN targets', label: 'Double DQN' },
    munchausen: {
      kind: { type: 'number', offAtZero: true },
      doc: "Munchausen DQN's alpha (0 = off; 0.9 in the paper): a bonus for the action taken by its log-probability under softmax(Q_target / tau), and a soft value of s' (needs --no-double-dqn)",
      label: 'Munchausen α (0 = off)',
      olderCheckpoints: 0,
    },
    munchausenTau: { kind: { type: 'number', positive: true }, doc: "Munchausen DQN's entropy temperature tau", label: 'Munchausen τ', olderCheckpoints: 0.03 },
    gamma: { kind: { type: 'number', min: 0, max: 1 }, doc: 'discount factor', label: 'Discount γ', main: true },
    nStep: { kind: { type: 'integer', min: 1 }, doc: 'n-step returns: rewards summed over up to N steps of an episode before bootstrapping', label: 'n-step returns', olderCheckpoints: 1 },
    lr: { kind: { type: 'number', positive: true }, doc: 'Adam learning rate', label: 'Learning rate', main: true },
    adamEps: { kind: { type: 'number', positive: true }, doc: 'Adam epsilon', label: 'Adam ε' },
    loss: { kind: { type: 'choice', choices: () => DQN_LOSSES }, doc: 'TD loss', label: 'Loss' },
    huberDelta: { kind: { type: 'number', positive: true }, doc: 'Huber loss threshold', label: 'Huber δ' },
    maxGradNorm: { kind: { type: 'number', offAtZero: true }, doc: 'global gradient-norm clip (0 = off)', label: 'Max grad norm (0 = off)' },
    batchSize: { kind: { type: 'integer', min: 1 }, doc: 'minibatch size', label: 'Batch size', main: true },
    bufferSize: { kind: { type: 'integer', min: 1 }, doc: 'replay buffer capacity (transitions)', label: 'Replay buffer size' },
    numEnvs: { kind: { type: 'integer', min: 1, max: MAX_ENVS }, doc: 'environments stepped side by side, acting through one forward pass per step', label: 'Environments', main: true },
    actingGroups: {
      kind: { type: 'integer', min: 1, values: [1, 2] },
      doc: 'acting groups: 1 (all envs at once) or 2 (halves in turn: the host steps one while the device computes Q for the other)',
      label: 'Acting groups (1 or 2)',
    },
    learningStarts: { kind: { type: 'integer', min: 0 }, doc: 'env steps (summed over the envs) before the first update', label: 'Learning starts (steps)' },
    trainFreq: { kind: { type: 'integer', min: 1 }, doc: 'vector steps (env steps with one env) between rounds of updates', label: 'Train every (vector steps)' },
    gradientSteps: { kind: { type: 'integer', min: 1 }, doc: 'updates per round', label: 'Gradient steps per round' },
    targetUpdate: { kind: { type: 'choice', choices: () => TARGET_UPDATES }, doc: 'target network update', label: 'Target update' },
    tau: { kind: { type: 'number', min: 0, max: 1 }, doc: 'soft target update rate (after every update)', label: 'Soft update τ' },
    targetUpdateInterval: { kind: { type: 'integer', min: 1 }, doc: 'env steps between hard target copies', label: 'Hard copy every (steps)' },
    policyAverageTau: {
      kind: { type: 'number', min: 0, max: 1 },
      doc: 'policy averaging (0 = off): evaluate, keep and save an average of the online weights that moves by this rate after every update',
      label: 'Policy average τ (0 = off)',
      olderCheckpoints: 0,
    },
    epsilonSchedule: { kind: { type: 'choice', choices: () => EPSILON_SCHEDULES }, doc: 'exploration schedule', label: 'ε schedule' },
    epsilonStart: { kind: { type: 'number', min: 0, max: 1 }, doc: 'initial exploration rate', label: 'ε start' },
    epsilonEnd: { kind: { type: 'number', min: 0, max: 1 }, doc: 'final exploration rate', label: 'ε end' },
    epsilonDecay: { kind: { type: 'number', min: 0, max: 1, minOpen: true }, doc: "per-episode factor of 'exponential-episode'", label: 'ε decay per episode' },
    explorationFraction: { kind: { type: 'number', min: 0, max: 1, minOpen: true }, doc: "fraction of --steps over which 'linear-step' decays", label: 'Exploration fraction' },
    steps: { kind: { type: 'integer', min: 0 }, doc: 'env step budget (0 = none)', label: 'Env steps (0 = no limit)', main: true },
    episodes: { kind: { type: 'integer', min: 0 }, doc: 'episode budget (0 = none)', label: 'Episodes (0 = no limit)', main: true },
    evalFreq: { kind: { type: 'integer', min: 0 }, doc: 'greedy evaluation every N env steps, keeping the best weights (0 = off)', label: 'Evaluate every (steps, 0 = off)' },
    evalEpisodes: { kind: { type: 'integer', min: 1 }, doc: 'episodes per periodic evaluation', label: 'Episodes per evaluation' },
    lossReadInterval: { kind: { type: 'integer', min: 1 }, doc: 'read the loss back every N updates', label: 'Read loss every (updates)' },
    onNonFinite: {
      kind: { type: 'choice', choices: () => NON_FINITE_POLICIES },
      doc: 'a NaN/Inf loss or weight: stop (naming the step and the last good checkpoint), or skip that round of updates (reads back every round: slower)',
      label: 'On a non-finite update',
      olderCheckpoints: 'stop',
    },
  },
  rules: [
    (c, name) => discreteEnvRule(c.env, 'DQN', name('env')),
    (c, name) => (rewardShapingFits(c.rewardShaping, c.env) ? null : `${name('rewardShaping')} '${c.rewardShaping}' is made for ${rewardShapingEnvs(c.rewardShaping)}, not ${c.env} (${name('env')})`),
    (c, name) => (c.quantiles > 1 && c.loss !== 'huber' ? `${name('quantiles')} ${c.quantiles} (QR-DQN) needs ${name('loss')} 'huber', the quantile Huber loss; got '${c.loss}'` : null),
    (c, name) =>
      c.munchausen > 0 && c.doubleDqn
        ? `${name('munchausen')} ${c.munchausen} does not go with ${name('doubleDqn')}: its target bootstraps from the soft value of s', not a max to de-bias (turn ${name('doubleDqn')} off)`
        : null,
    (c, name) => (c.munchausen > 0 && c.quantiles > 1 ? `${name('munchausen')} ${c.munchausen} does not go with ${name('quantiles')} ${c.quantiles}: Munchausen targets are for one Q-value per action` : null),
    (c, name) => (c.quantiles > 1 && c.dueling ? `${name('quantiles')} ${c.quantiles} (QR-DQN) does not go with ${name('dueling')}: a dueling head has one value per action` : null),
    (c, name) => (c.batchSize > c.bufferSize ? `${name('batchSize')} ${c.batchSize} is larger than ${name('bufferSize')} ${c.bufferSize}: a minibatch is drawn from the replay buffer` : null),
    (c, name) => (c.actingGroups === 2 && c.numEnvs % 2 !== 0 ? `${name('actingGroups')} 2 needs an even ${name('numEnvs')}, got ${c.numEnvs}` : null),
    (c, name) => (c.steps === 0 && c.episodes === 0 ? `set a budget: ${name('steps')} or ${name('episodes')} must be positive` : null),
    (c, name) => {
      // It throws its message; a rule returns it, so validateWithSchema's prefix starts it too.
      try {
        checkEpsilonScheduleConfig(c, name);
        return null;
      } catch (error) {
        if (error instanceof InvalidArgumentError) return error.message;
        throw error;
      }
    },
  ],
};

/** The rule that refuses an env with continuous actions to an algorithm for Discrete actions (DQN, PQN): the message, naming the field, or null. */
export function discreteEnvRule(env: string, algorithm: string, field: string): string | null {
  const problem = discreteActionsProblem(env, algorithm);
  return problem === null ? null : `${field} ${problem}`;
}

/**
 * Throws InvalidArgumentError naming the first field of the wrong kind or out of range, or two
 * fields that do not fit together (a batch larger than the replay buffer, a reward shaping made
 * for another env): DQN_CONFIG's fields and rules. Counts must be safe integers, so every budget
 * can be counted up to exactly. `name` spells fields in messages (the CLI passes its flag names; a
 * checkpoint reader, its fields; the page, its labels).
 */
export function validateConfig(c: DqnConfig, name: FieldNamer = (key) => key, prefix?: MessagePrefix): void {
  validateWithSchema(DQN_CONFIG, c, name, prefix);
}
