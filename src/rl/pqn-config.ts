/**
 * PQN's hyper-parameters (Gallici et al. 2025; CleanRL's pqn.py): the PqnConfig type, its schema
 * (config-schema.ts: one entry per field, the rules between them) and its presets. Browser-safe.
 *
 * Counted in env steps (summed over the envs, as CleanRL's global_step): steps, evalFreq and the
 * epsilon schedule. One iteration is a rollout of numSteps vector steps of numEnvs envs, then
 * updateEpochs epochs of numMinibatches shuffled minibatches over its numEnvs x numSteps transitions.
 */
import { DEVICE_ENVS } from '../backend/backend.js';
import { checkName } from '../errors.js';
import type { Initializer } from '../nn/init.js';
import { DQN_CONFIG, NON_FINITE_POLICIES, discreteEnvRule, type NonFinitePolicy } from './config.js';
import type { ConfigSpec } from './config-schema.js';
import { ENV_ON, deviceRolloutProblem, resolveEnvOn, type EnvOn } from './device-rollout.js';

export { ENV_ON, resolveEnvOn, type EnvOn, type SettledEnvOn } from './device-rollout.js';
import { MAX_HIDDEN_LAYERS } from './q-network.js';
import type { NetworkArchitecture } from './weights-file.js';

/** `config` as a run on `backend` trains it: envOn settled (resolveEnvOn). A copy. */
export function pqnConfigFor(config: PqnConfig, backend: string): PqnConfig {
  return { ...config, hidden: [...config.hidden], envOn: resolveEnvOn(config.envOn, config.env, backend) };
}

/** Every hyper-parameter of a PQN run. */
export interface PqnConfig {
  /** Environment id from the registry. */
  env: string;
  /**
   * Where the training envs step: 'host' (src/envs, Gymnasium-exact float64), 'device' (the
   * backend's envStep and epsilonGreedy: the whole rollout recorded with one read back; the envs of
   * DEVICE_ENVS), or 'auto' (the presets' value: device on WebGPU where the env has a kernel, else
   * host; settled when the trainer is built: resolveEnvOn). Evaluation always uses the host env.
   */
  envOn: EnvOn;
  /** Hidden layer widths (each Dense, LayerNorm, ReLU). */
  hidden: number[];
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
  /** lambda of the Q(lambda) returns. */
  qLambda: number;
  lr: number;
  /** Anneal the learning rate linearly to 0 over the step budget (CleanRL's anneal_lr). */
  lrDecay: boolean;
  /** RAdam's epsilon and betas (torch's defaults: 1e-8, 0.9, 0.999). */
  adamEps: number;
  adamBeta1: number;
  adamBeta2: number;
  /** Global-norm gradient clipping threshold; 0 turns clipping off. */
  maxGradNorm: number;
  /** Factor on the rewards the agent learns from (the returns logged are the env's own). */
  rewardScale: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** Fraction of the step budget over which epsilon goes linearly from start to end. */
  explorationFraction: number;
  /** Env step budget (summed over the envs); the run ends at the iteration that reaches it. */
  steps: number;
  /** Greedy evaluation every this many env steps (at the end of the iteration that reaches it), keeping the best weights (0 = off). */
  evalFreq: number;
  evalEpisodes: number;
  /** A non-finite loss: 'stop' (throw, naming the step) or 'skip' the iteration's updates (restoring the weights from before them). */
  onNonFinite: NonFinitePolicy;
}

/** The network a PQN config trains (what its weights file records): ReLU layers with LayerNorm, one output per action. */
export function pqnArchitecture(c: Pick<PqnConfig, 'hidden'>): NetworkArchitecture {
  return { hidden: [...c.hidden], activation: 'relu', dueling: false, quantiles: 1, layerNorm: true, policy: 'q-network' };
}

/** Transitions per minibatch: numEnvs x numSteps / numMinibatches. */
export function pqnMinibatchSize(c: Pick<PqnConfig, 'numEnvs' | 'numSteps' | 'numMinibatches'>): number {
  return (c.numEnvs * c.numSteps) / c.numMinibatches;
}

/** PQN's hyper-parameters; the fields it shares with DQN (env, discount, exploration, evaluation) are DQN_CONFIG's entries. */
export const PQN_CONFIG: ConfigSpec<PqnConfig> = {
  fields: {
    env: DQN_CONFIG.fields.env,
    envOn: {
      kind: { type: 'choice', choices: () => ENV_ON },
      doc: `where the training envs step: auto (device when the run's backend is WebGPU and the env has a device kernel, else host; the run records which), host (Gymnasium-exact) or device (batched float32 kernels, one read back per rollout; ${DEVICE_ENVS.join(', ')})`,
      label: 'Envs on',
      olderCheckpoints: 'host',
    },
    hidden: { kind: { type: 'widths', maxLayers: MAX_HIDDEN_LAYERS }, doc: 'hidden layer widths (Dense, LayerNorm, ReLU each), comma-separated', label: 'Hidden layers', main: true },
    init: DQN_CONFIG.fields.init,
    numEnvs: DQN_CONFIG.fields.numEnvs,
    numSteps: { kind: { type: 'integer', min: 1 }, doc: 'rollout length: vector steps per iteration', label: 'Rollout steps', main: true },
    numMinibatches: { kind: { type: 'integer', min: 1 }, doc: 'minibatches per epoch over a rollout', label: 'Minibatches' },
    updateEpochs: { kind: { type: 'integer', min: 1 }, doc: 'epochs over each rollout', label: 'Epochs per rollout' },
    gamma: DQN_CONFIG.fields.gamma,
    qLambda: { kind: { type: 'number', min: 0, max: 1 }, doc: 'lambda of the Q(lambda) returns', label: 'Q(λ) λ' },
    lr: { kind: { type: 'number', positive: true }, doc: 'RAdam learning rate', label: 'Learning rate', main: true },
    lrDecay: { kind: { type: 'boolean' }, doc: 'anneal the learning rate linearly to 0 over the step budget', label: 'Anneal learning rate' },
    adamEps: { kind: { type: 'number', positive: true }, doc: 'RAdam epsilon', label: 'RAdam ε' },
    adamBeta1: { kind: { type: 'number', min: 0, max: 1 }, doc: "RAdam's beta1", label: 'RAdam β1' },
    adamBeta2: { kind: { type: 'number', min: 0, max: 1 }, doc: "RAdam's beta2", label: 'RAdam β2' },
    maxGradNorm: DQN_CONFIG.fields.maxGradNorm,
    rewardScale: { kind: { type: 'number', positive: true }, doc: 'factor on the rewards the agent learns from', label: 'Reward scale' },
    epsilonStart: DQN_CONFIG.fields.epsilonStart,
    epsilonEnd: DQN_CONFIG.fields.epsilonEnd,
    explorationFraction: { kind: { type: 'number', min: 0, max: 1, minOpen: true }, doc: 'fraction of --steps over which epsilon decays linearly', label: 'Exploration fraction' },
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
    (c, name) => discreteEnvRule(c.env, 'PQN', name('env')),
    (c, name) => {
      if (c.envOn !== 'device') return null;
      const problem = deviceRolloutProblem(c.env);
      return problem === null ? null : `${name('envOn')} device: ${problem} (${name('env')} ${c.env})`;
    },
    (c, name) =>
      (c.numEnvs * c.numSteps) % c.numMinibatches !== 0
        ? `${name('numEnvs')} x ${name('numSteps')} (${c.numEnvs * c.numSteps}) must be a multiple of ${name('numMinibatches')} ${c.numMinibatches}`
        : null,
    (c, name) =>
      c.steps < c.numEnvs * c.numSteps ? `${name('steps')} ${c.steps} is less than one rollout (${name('numEnvs')} x ${name('numSteps')} = ${c.numEnvs * c.numSteps})` : null,
  ],
};

export const PQN_PRESET_NAMES = ['pqn-cartpole', 'pqn-cartpole-vector', 'pqn-cartpole-device', 'pqn-acrobot'] as const;
export type PqnPresetName = (typeof PQN_PRESET_NAMES)[number];

/**
 * `pqn-cartpole`: CleanRL's pqn.py defaults (vwxyzjn/cleanrl, cleanrl/pqn.py, Args): CartPole-v1,
 * 4 envs x 128 steps, 4 minibatches x 4 epochs, a 120-84 network with LayerNorm, RAdam lr 2.5e-4
 * annealed linearly to 0, gamma 0.99, q_lambda 0.65, epsilon 1 -> 0.05 over the first 50 % of
 * 500k steps, max grad norm 10. Differences: torch's default Linear init where CleanRL uses
 * orthogonal (sqrt 2) with zero biases (`init: 'orthogonal'`, added after this preset's results
 * were measured, and no better on Acrobot's tuning seeds: docs/presets.md); a truncated step
 * bootstraps from its final observation (src/backend/cpu/returns.ts); and a greedy evaluation
 * every 10k steps keeping the best weights, which CleanRL does not do.
 */
const PQN_CARTPOLE: PqnConfig = {
  env: 'CartPole-v1',
  envOn: 'auto',
  hidden: [120, 84],
  init: 'torch_default',
  numEnvs: 4,
  numSteps: 128,
  numMinibatches: 4,
  updateEpochs: 4,
  gamma: 0.99,
  qLambda: 0.65,
  lr: 2.5e-4,
  lrDecay: true,
  adamEps: 1e-8,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  maxGradNorm: 10,
  rewardScale: 1,
  epsilonStart: 1,
  epsilonEnd: 0.05,
  explorationFraction: 0.5,
  steps: 500_000,
  evalFreq: 10_000,
  evalEpisodes: 10,
  onNonFinite: 'stop',
};

/**
 * `pqn-cartpole-vector`: `pqn-cartpole` with 32 envs x 16 steps a rollout instead of 4 x 128: the
 * same 512 transitions an iteration, minibatches of 128 and updates per env step, in 8x fewer
 * vector steps, each one forward pass of 32 observations and one read back. What a GPU wants
 * (`--backend webgpu` picks it): a read back costs a round trip however few envs it serves.
 */
const PQN_CARTPOLE_VECTOR: PqnConfig = { ...PQN_CARTPOLE, hidden: [...PQN_CARTPOLE.hidden], numEnvs: 32, numSteps: 16 };

/**
 * `pqn-cartpole-device`: `pqn-cartpole` with its 256 envs on the device (envOn 'device': the
 * backend's envStep and epsilonGreedy, one read back per rollout), 16 steps a rollout and 16
 * minibatches of 256: 4,096 transitions an iteration, 64 updates, and 1M steps. With CleanRL's 4
 * minibatches (1,024 each) the 500k steps are only 1,952 updates, and it did not learn (best
 * greedy means 22-38 on seeds 0-2); with 16 and 500k steps the kept weights reached 475 on 1 of
 * tuning seeds 0-7, with 1M steps on all 8 (docs/presets.md). What the page runs to train hundreds
 * of envs: the rollout costs no read back per step. Its envOn is 'device', not the other presets'
 * 'auto', so it runs device envs on the CPU backend too.
 */
const PQN_CARTPOLE_DEVICE: PqnConfig = { ...PQN_CARTPOLE, hidden: [...PQN_CARTPOLE.hidden], envOn: 'device', numEnvs: 256, numSteps: 16, numMinibatches: 16, steps: 1_000_000 };

/**
 * `pqn-acrobot`: `pqn-cartpole` on Acrobot-v1 with a 256-256 network, 20-episode evaluations (the
 * kept weights are chosen on a less noisy mean) and 1M steps, chosen on tuning seeds 0-7 among
 * seven candidates (docs/presets.md).
 */
const PQN_ACROBOT: PqnConfig = { ...PQN_CARTPOLE, env: 'Acrobot-v1', hidden: [256, 256], evalEpisodes: 20, steps: 1_000_000 };

export const PQN_PRESETS: Record<PqnPresetName, PqnConfig> = {
  'pqn-cartpole': PQN_CARTPOLE,
  'pqn-cartpole-vector': PQN_CARTPOLE_VECTOR,
  'pqn-cartpole-device': PQN_CARTPOLE_DEVICE,
  'pqn-acrobot': PQN_ACROBOT,
};

/** A PQN preset by name, copied so callers can override fields. */
export function pqnPreset(name: string): PqnConfig {
  const p = PQN_PRESETS[checkName('preset', name, PQN_PRESET_NAMES)];
  return { ...p, hidden: [...p.hidden] };
}

/** The preset each env trains with; an env without one starts from CartPole's, its env replaced by the caller. */
const PQN_PRESET_OF_ENV: Readonly<Record<string, PqnPresetName>> = { 'CartPole-v1': 'pqn-cartpole', 'Acrobot-v1': 'pqn-acrobot' };

/** The PQN preset a run of `env` starts from; on WebGPU, CartPole's vector flavour. */
export function pqnPresetFor(env: string, backend: string): PqnPresetName {
  const name = PQN_PRESET_OF_ENV[env] ?? 'pqn-cartpole';
  return backend === 'webgpu' && name === 'pqn-cartpole' ? 'pqn-cartpole-vector' : name;
}
