/**
 * The algorithm registry: one entry per algorithm, the one list that the CLI (`--algo`), the page
 * (its algorithm menu) and `check:solve` read. An entry holds the algorithm's hyper-parameter spec
 * (config-schema.ts: fields and rules, from which flags, form, validation and checkpoint upgrading
 * are derived), its presets (data) and which preset trains an env, how to build its trainer, and
 * how its weights and greedy policy are described. Browser-safe.
 *
 * DQN is the one entry listed today; QR-DQN, Munchausen DQN, Double DQN, dueling heads and n-step
 * returns are options of it (its `quantiles`, `munchausen`, ... fields), as in Stable-Baselines3's
 * DQN and sb3-contrib's QR-DQN. PQN_ALGORITHM is built but not listed yet (see there); PPO will
 * add an entry here.
 */
import type { Backend } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { DQN_CONFIG, PRESET_NAMES, algorithmName, preset, presetFor, type DqnConfig } from './config.js';
import type { ConfigSpec } from './config-schema.js';
import { DqnTrainer, type TrainerCallbacks } from './dqn-trainer.js';
import { PQN_CONFIG, PQN_PRESET_NAMES, pqnPreset, type PqnConfig } from './pqn-config.js';
import { PqnTrainer, type PqnState } from './pqn-trainer.js';
import { describeQNetwork } from './q-network.js';
import type { Trainer } from './trainer.js';
import type { TrainerState } from './trainer-state.js';

/** One algorithm, as the front ends see it. */
export interface AlgorithmEntry<C, S> {
  /** The name `--algo` takes and checkpoints record. */
  name: string;
  /** One line for --help and the page's menu. */
  summary: string;
  /** Its hyper-parameters: fields and the rules between them. */
  config: ConfigSpec<C>;
  /** Its presets, by name (plain data). */
  presetNames: readonly string[];
  /** A preset by name, copied so callers can override fields. */
  preset(name: string): C;
  /** The preset a run of `env` starts from when none is named (its vector flavour on WebGPU). */
  presetFor(env: string, backend: string): string;
  /** Its trainer: the loop that steps the envs, learns, evaluates, and snapshots itself (trainer.ts). */
  createTrainer(backend: Backend, config: C, seed: number, callbacks?: TrainerCallbacks): Trainer<C, S>;
  /** What a config trains, by its usual name (e.g. 'QR-DQN' for DQN with quantiles). */
  describe(config: C): string;
  /** The network a config builds for an env of these sizes, as banners and errors show it ('4-64-64-2'). */
  describeNetwork(config: C, obsDim: number, nActions: number): string;
}

export const DQN_ALGORITHM: AlgorithmEntry<DqnConfig, TrainerState> = {
  name: 'dqn',
  summary: 'DQN with experience replay and a target network; Double DQN, dueling heads, n-step returns, QR-DQN (--quantiles) and Munchausen DQN (--munchausen) as options',
  config: DQN_CONFIG,
  presetNames: PRESET_NAMES,
  preset,
  presetFor,
  createTrainer: (backend, config, seed, callbacks) => new DqnTrainer(backend, config, seed, callbacks),
  describe: algorithmName,
  describeNetwork: (config, obsDim, nActions) => describeQNetwork({ ...config, obsDim, nActions }),
};

/**
 * PQN (Gallici et al. 2025; CleanRL's pqn.py). Not in ALGORITHMS yet: the CLI's run (flags, run
 * plan, checkpoints) and the page's session still build DQN configs, so `--algo pqn` waits for them
 * to become generic over the entry; tests and scripts use this entry directly until then.
 */
export const PQN_ALGORITHM: AlgorithmEntry<PqnConfig, PqnState> = {
  name: 'pqn',
  summary: 'PQN: Q(lambda) returns over rollouts of many envs, epochs of minibatches, a LayerNorm Q-network, no replay or target network',
  config: PQN_CONFIG,
  presetNames: PQN_PRESET_NAMES,
  preset: pqnPreset,
  // The one preset is CartPole's; another env starts from it, its env field overridden by the caller.
  presetFor: () => 'pqn-cartpole',
  createTrainer: (backend, config, seed, callbacks) => new PqnTrainer(backend, config, seed, callbacks),
  describe: () => 'PQN',
  describeNetwork: (config, obsDim, nActions) => describeQNetwork({ obsDim, nActions, hidden: config.hidden, dueling: false, quantiles: 1, layerNorm: true }),
};

/** Every algorithm, by the name `--algo` takes. */
export const ALGORITHMS = { dqn: DQN_ALGORITHM } as const;
export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];
/** The algorithm a run trains when none is named. */
export const DEFAULT_ALGORITHM: AlgorithmName = 'dqn';

/** The entry named `name`; throws InvalidArgumentError listing the names there are. */
export function algorithm(name: string): (typeof ALGORITHMS)[AlgorithmName] {
  if (!(ALGORITHM_NAMES as string[]).includes(name)) throw new InvalidArgumentError(`unknown algorithm '${name}'; there are ${ALGORITHM_NAMES.join(', ')}`);
  return ALGORITHMS[name as AlgorithmName];
}

