import { ACTIVATIONS, type Activation } from '../backend/backend.js';
import { registeredEnvIds } from '../envs/registry.js';
import { REWARD_SHAPINGS, rewardShapingEnvs, rewardShapingFits } from '../envs/wrappers/reward-shaping.js';
import { InvalidArgumentError, checkName } from '../errors.js';
import { INITIALIZERS, type Initializer } from '../nn/init.js';
import { checkEpsilonScheduleConfig } from './schedules.js';

export const DQN_LOSSES = ['mse', 'huber'] as const;
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
export type FieldNamer = (key: keyof DqnConfig) => string;

/**
 * Throws InvalidArgumentError naming the first field of the wrong kind or out of range, or two
 * fields that do not fit together (a batch larger than the replay buffer, a reward shaping made
 * for another env). Counts must be safe integers, so every budget can be counted up to exactly.
 * `name` spells fields in messages (the CLI passes its flag names; a checkpoint reader, its fields).
 */
export function validateConfig(c: DqnConfig, name: FieldNamer = (key) => key): void {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(message);
  };
  const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? v.join(',') : String(v));
  const number = (key: keyof DqnConfig): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${name(key)} must be a finite number, got ${show(v)}`);
    return v as number;
  };
  const positiveInt = (key: keyof DqnConfig) => {
    const v = number(key);
    if (!Number.isSafeInteger(v) || v < 1) fail(`${name(key)} must be a positive integer, got ${v}`);
  };
  const nonNegInt = (key: keyof DqnConfig) => {
    const v = number(key);
    if (!Number.isSafeInteger(v) || v < 0) fail(`${name(key)} must be a non-negative integer (at most 2^53 - 1), got ${v}`);
  };
  const inRange = (key: keyof DqnConfig, lo: number, hi: number) => {
    const v = number(key);
    if (!(v >= lo && v <= hi)) fail(`${name(key)} must be in [${lo}, ${hi}], got ${v}`);
  };
  const positive = (key: keyof DqnConfig, extra = '') => {
    const v = number(key);
    if (!(v > 0)) fail(`${name(key)} must be positive${extra}, got ${v}`);
  };
  const oneOf = (key: keyof DqnConfig, valid: readonly string[]) => {
    const v = c[key];
    if (typeof v !== 'string' || !valid.includes(v)) fail(`${name(key)} must be one of ${valid.join(', ')}; got ${show(v)}`);
  };
  const boolean = (key: keyof DqnConfig) => {
    if (typeof c[key] !== 'boolean') fail(`${name(key)} must be true or false, got ${show(c[key])}`);
  };
  oneOf('env', registeredEnvIds());
  oneOf('rewardShaping', Object.keys(REWARD_SHAPINGS));
  if (!rewardShapingFits(c.rewardShaping, c.env)) {
    fail(`${name('rewardShaping')} '${c.rewardShaping}' is made for ${rewardShapingEnvs(c.rewardShaping)}, not ${c.env} (${name('env')})`);
  }
  if (!Array.isArray(c.hidden) || c.hidden.length === 0) fail(`${name('hidden')} must name at least one layer width, got ${show(c.hidden)}`);
  c.hidden.forEach((h) => {
    if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 1) fail(`${name('hidden')} must be positive integers, got ${show(c.hidden)}`);
  });
  oneOf('activation', ACTIVATIONS);
  oneOf('init', INITIALIZERS);
  boolean('dueling');
  boolean('doubleDqn');
  oneOf('loss', DQN_LOSSES);
  positiveInt('quantiles');
  if (c.quantiles > 1 && c.loss !== 'huber') fail(`${name('quantiles')} ${c.quantiles} (QR-DQN) needs ${name('loss')} 'huber', the quantile Huber loss; got '${c.loss}'`);
  if (!(number('munchausen') >= 0)) fail(`${name('munchausen')} must be >= 0 (0 = off), got ${c.munchausen}`);
  positive('munchausenTau');
  if (c.munchausen > 0 && c.doubleDqn) fail(`${name('munchausen')} ${c.munchausen} does not go with ${name('doubleDqn')}: its target bootstraps from the soft value of s', not a max to de-bias (turn ${name('doubleDqn')} off)`);
  if (c.munchausen > 0 && c.quantiles > 1) fail(`${name('munchausen')} ${c.munchausen} does not go with ${name('quantiles')} ${c.quantiles}: Munchausen targets are for one Q-value per action`);
  if (c.quantiles > 1 && c.dueling) fail(`${name('quantiles')} ${c.quantiles} (QR-DQN) does not go with ${name('dueling')}: a dueling head has one value per action`);
  oneOf('epsilonSchedule', EPSILON_SCHEDULES);
  oneOf('targetUpdate', TARGET_UPDATES);
  inRange('gamma', 0, 1);
  positiveInt('nStep');
  positive('lr');
  positive('adamEps');
  positive('huberDelta');
  if (!(number('maxGradNorm') >= 0)) fail(`${name('maxGradNorm')} must be >= 0 (0 = off), got ${c.maxGradNorm}`);
  positiveInt('batchSize');
  positiveInt('bufferSize');
  if (c.batchSize > c.bufferSize) {
    fail(`${name('batchSize')} ${c.batchSize} is larger than ${name('bufferSize')} ${c.bufferSize}: a minibatch is drawn from the replay buffer`);
  }
  nonNegInt('learningStarts');
  positiveInt('numEnvs');
  if (c.numEnvs > MAX_ENVS) fail(`${name('numEnvs')} must be at most ${MAX_ENVS}, got ${c.numEnvs}`);
  if (c.actingGroups !== 1 && c.actingGroups !== 2) fail(`${name('actingGroups')} must be 1 or 2, got ${show(c.actingGroups)}`);
  if (c.actingGroups === 2 && c.numEnvs % 2 !== 0) fail(`${name('actingGroups')} 2 needs an even ${name('numEnvs')}, got ${c.numEnvs}`);
  positiveInt('trainFreq');
  positiveInt('gradientSteps');
  inRange('tau', 0, 1);
  positiveInt('targetUpdateInterval');
  inRange('policyAverageTau', 0, 1);
  nonNegInt('steps');
  nonNegInt('episodes');
  if (c.steps === 0 && c.episodes === 0) fail(`set a budget: ${name('steps')} or ${name('episodes')} must be positive`);
  for (const key of ['epsilonStart', 'epsilonEnd', 'epsilonDecay', 'explorationFraction'] as const) number(key);
  checkEpsilonScheduleConfig(c, name);
  nonNegInt('evalFreq');
  positiveInt('evalEpisodes');
  positiveInt('lossReadInterval');
  oneOf('onNonFinite', NON_FINITE_POLICIES);
}
