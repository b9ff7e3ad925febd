/**
 * The algorithm registry: one entry per algorithm, the one list that the CLI (`--algo`), the page
 * (its algorithm menu) and `check:solve` read. An entry holds the algorithm's hyper-parameter spec
 * (config-schema.ts: fields and rules, from which flags, form, validation and checkpoint upgrading
 * are derived), its presets (data) and which preset trains an env, how to build its trainer, its
 * network as the weights file records it, its memory estimate and its checkpoint files. Front ends
 * are written once against AlgorithmEntry<C, S> and reach an entry through withAlgorithm.
 * Browser-safe.
 *
 * Three entries: DQN (QR-DQN, Munchausen DQN, Double DQN, dueling heads and n-step returns are
 * options of it, its `quantiles`, `munchausen`, ... fields, as in Stable-Baselines3's DQN and
 * sb3-contrib's QR-DQN), PQN and PPO.
 */
import type { Backend } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import type { OpenedCheckpoint } from '../io/checkpoint.js';
import { DQN_CONFIG, PRESET_NAMES, algorithmName, dqnArchitecture, preset, presetFor, type DqnConfig } from './config.js';
import type { ConfigSpec, FieldNamer } from './config-schema.js';
import { DqnTrainer, type TrainerCallbacks } from './dqn-trainer.js';
import { estimatePpoMemory, estimatePqnMemory, estimateRunMemory, type MemoryItem } from './memory-budget.js';
import { PPO_CHECKPOINT } from './ppo-checkpoint.js';
import { PPO_CONFIG, PPO_PRESET_NAMES, ppoArchitecture, ppoConfigFor, ppoMinibatchSize, ppoPreset, ppoPresetFor, type PpoConfig } from './ppo-config.js';
import { PpoTrainer, type PpoState } from './ppo-trainer.js';
import { checkStateFinite } from './non-finite-guard.js';
import { PQN_CHECKPOINT_KIND, checkPqnStateFinite, decodePqnCheckpoint, encodePqnCheckpoint } from './pqn-checkpoint.js';
import { PQN_CONFIG, PQN_PRESET_NAMES, pqnArchitecture, pqnConfigFor, pqnMinibatchSize, pqnPreset, pqnPresetFor, type PqnConfig } from './pqn-config.js';
import { PqnTrainer, type PqnState } from './pqn-trainer.js';
import { describeQNetwork } from './q-network.js';
import type { BaseConfig, BaseState, Trainer } from './trainer.js';
import { DQN_CHECKPOINT_KIND, decodeDqnCheckpoint, encodeTrainerCheckpoint, type RunInfo, type TrainerCheckpoint } from './trainer-checkpoint.js';
import type { TrainerState } from './trainer-state.js';
import type { NetworkArchitecture, NetworkFields } from './weights-file.js';

/** How an algorithm's runs are saved and continued: its checkpoint files (src/io/checkpoint.ts). */
export interface CheckpointCodec<S> {
  /** The `kind` its checkpoints' metadata carries (which entry reads a checkpoint: checkpointAlgorithm). */
  kind: string;
  encode(state: S, run: RunInfo): Uint8Array;
  /** Checks and decodes an opened checkpoint of this kind; throws InvalidArgumentError naming the field. */
  decode(opened: OpenedCheckpoint): TrainerCheckpoint<S>;
  /** Throws NonFiniteError (naming the step) when a snapshot holds NaN or an infinity: it is never written. */
  checkFinite(state: S): void;
}

/** One algorithm, as the front ends see it. */
export interface AlgorithmEntry<C extends BaseConfig, S extends BaseState<C>> {
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
  /**
   * `config` as a run on `backend` ('cpu', 'webgpu') trains it: the fields left to the backend
   * (PQN's envOn 'auto') settled, as the trainer, config.json, the banner and checkpoints see them.
   * The trainer settles them the same way itself; a front end calls this once the backend is open.
   */
  forBackend(config: C, backend: string): C;
  /** Its trainer: the loop that steps the envs, learns, evaluates, and snapshots itself (trainer.ts). */
  createTrainer(backend: Backend, config: C, seed: number, callbacks?: TrainerCallbacks): Trainer<C, S>;
  /** What a config trains, by its usual name (e.g. 'QR-DQN' for DQN with quantiles). */
  describe(config: C): string;
  /** Banner details beyond the name and the network ('double', '16 envs in 2 acting groups', ...), '' when none. */
  describeRun(config: C): string;
  /** The run's budget, as progress bars count it (steps, or episodes where steps is 0). */
  budget(config: C): { steps: number; episodes: number };
  /** Config fields a resumed run may change: its budget. */
  resumableFields: readonly (keyof C & string)[];
  /** The Q-network a config trains, as its weights file records it. */
  architecture(config: C): NetworkArchitecture;
  /** Why this algorithm cannot train `architecture` (a weights file's), or null when it can. */
  architectureProblem(architecture: NetworkArchitecture): string | null;
  /** `config` with a weights file's network (its env and architecture; one architectureProblem allows). */
  withNetwork(config: C, network: NetworkFields): C;
  /** What a run of `config` holds in memory, checked before anything is allocated (memory-budget.ts). */
  estimateMemory(config: C, obsDim: number, nActions: number, name: FieldNamer<C>): MemoryItem[];
  /** Its checkpoint files. */
  checkpoint: CheckpointCodec<S>;
  /**
   * A front end's rule for fields set by flags, after the preset's values are overridden by them
   * (DQN: a step budget given alone turns an episode-budget preset into a step budget).
   */
  adjustGiven?(config: C, given: (key: keyof C) => boolean): void;
  /**
   * Whether a flag's value, given with --resume, agrees with any value the checkpoint holds: a value
   * that is settled when a run starts (PQN's envOn 'auto') means "as the run was settled".
   */
  agreesWithAnySaved?(key: keyof C, value: unknown): boolean;
}

/** The network a config describes, as banners and errors show it ('4-64-64-2'). */
export function describeNetwork<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, config: C, obsDim: number, nActions: number): string {
  return describeQNetwork({ ...entry.architecture(config), obsDim, nActions });
}

export const DQN_ALGORITHM: AlgorithmEntry<DqnConfig, TrainerState> = {
  name: 'dqn',
  summary: 'DQN with experience replay and a target network; Double DQN, dueling heads, n-step returns, QR-DQN (--quantiles) and Munchausen DQN (--munchausen) as options',
  config: DQN_CONFIG,
  presetNames: PRESET_NAMES,
  preset,
  presetFor,
  forBackend: (config) => config,
  createTrainer: (backend, config, seed, callbacks) => new DqnTrainer(backend, config, seed, callbacks),
  describe: algorithmName,
  describeRun: (c) =>
    [
      ...(c.doubleDqn ? ['double'] : []),
      ...(c.munchausen > 0 ? [`munchausen (alpha ${c.munchausen}, tau ${c.munchausenTau})`] : []),
      ...(c.numEnvs > 1 ? [`${c.numEnvs} envs${c.actingGroups > 1 ? ` in ${c.actingGroups} acting groups` : ''}`] : []),
    ].join(' | '),
  budget: (c) => ({ steps: c.steps, episodes: c.episodes }),
  resumableFields: ['steps', 'episodes'],
  architecture: dqnArchitecture,
  architectureProblem: (a) => {
    if (a.policy === 'actor-critic') return 'is an actor-critic (a PPO network: train it with --algo ppo)';
    return a.layerNorm ? 'has LayerNorm layers (a PQN network: train it with --algo pqn)' : null;
  },
  withNetwork: (c, n) => ({ ...c, env: n.env, hidden: [...n.hidden], activation: n.activation, dueling: n.dueling, quantiles: n.quantiles }),
  estimateMemory: estimateRunMemory,
  checkpoint: { kind: DQN_CHECKPOINT_KIND, encode: encodeTrainerCheckpoint, decode: decodeDqnCheckpoint, checkFinite: checkStateFinite },
  adjustGiven: (config, given) => {
    if (given('steps') && !given('episodes')) config.episodes = 0;
    if (given('episodes') && !given('steps')) config.steps = 0;
  },
};

/** PQN (Gallici et al. 2025; CleanRL's pqn.py): a LayerNorm ReLU Q-network, no dueling head, no quantiles. */
export const PQN_ALGORITHM: AlgorithmEntry<PqnConfig, PqnState> = {
  name: 'pqn',
  summary: 'PQN: Q(lambda) returns over rollouts of many envs, epochs of minibatches, a LayerNorm Q-network, no replay or target network',
  config: PQN_CONFIG,
  presetNames: PQN_PRESET_NAMES,
  preset: pqnPreset,
  presetFor: pqnPresetFor,
  forBackend: pqnConfigFor,
  agreesWithAnySaved: (key, value) => key === 'envOn' && value === 'auto',
  createTrainer: (backend, config, seed, callbacks) => new PqnTrainer(backend, config, seed, callbacks),
  describe: () => 'PQN',
  describeRun: (c) =>
    `${c.numEnvs} ${c.envOn === 'device' ? 'device envs' : 'envs'} x ${c.numSteps} steps a rollout, ${c.updateEpochs} epochs x ${c.numMinibatches} minibatches of ${pqnMinibatchSize(c)} | ` +
    `RAdam lr ${c.lr}${c.lrDecay ? ' annealed' : ''} | lambda ${c.qLambda}`,
  budget: (c) => ({ steps: c.steps, episodes: 0 }),
  resumableFields: ['steps'],
  architecture: pqnArchitecture,
  architectureProblem: (a) => {
    if (a.policy === 'actor-critic') return 'is an actor-critic (a PPO network: train it with --algo ppo)';
    if (!a.layerNorm) return 'has no LayerNorm layers (a DQN network: train it with --algo dqn)';
    if (a.activation !== 'relu') return `uses ${a.activation}; PQN's network uses relu`;
    if (a.dueling) return "has a dueling head; PQN's network has none";
    if (a.quantiles > 1) return `has ${a.quantiles} quantiles per action; PQN's network has one output per action`;
    return null;
  },
  withNetwork: (c, n) => ({ ...c, env: n.env, hidden: [...n.hidden] }),
  estimateMemory: estimatePqnMemory,
  checkpoint: { kind: PQN_CHECKPOINT_KIND, encode: encodePqnCheckpoint, decode: decodePqnCheckpoint, checkFinite: checkPqnStateFinite },
};

/** PPO (Schulman et al. 2017; CleanRL's ppo.py, SB3's PPO): separate actor and critic MLPs, GAE, the clipped surrogate. */
export const PPO_ALGORITHM: AlgorithmEntry<PpoConfig, PpoState> = {
  name: 'ppo',
  summary: 'PPO: rollouts of many envs, GAE advantages, epochs of minibatches of the clipped surrogate, separate actor and critic networks',
  config: PPO_CONFIG,
  presetNames: PPO_PRESET_NAMES,
  preset: ppoPreset,
  presetFor: (env) => ppoPresetFor(env),
  forBackend: ppoConfigFor,
  agreesWithAnySaved: (key, value) => key === 'envOn' && value === 'auto',
  createTrainer: (backend, config, seed, callbacks) => new PpoTrainer(backend, config, seed, callbacks),
  describe: () => 'PPO',
  describeRun: (c) =>
    `${c.numEnvs} ${c.envOn === 'device' ? 'device envs' : 'envs'} x ${c.numSteps} steps a rollout, ${c.updateEpochs} epochs x ${c.numMinibatches} minibatches of ${ppoMinibatchSize(c)} | ` +
    `Adam lr ${c.lr}${c.lrDecay ? ' annealed' : ''} | GAE lambda ${c.gaeLambda} | clip ${c.clipCoef}`,
  budget: (c) => ({ steps: c.steps, episodes: 0 }),
  resumableFields: ['steps'],
  architecture: ppoArchitecture,
  architectureProblem: (a) => {
    if (a.policy !== 'actor-critic') return `is a Q-network (${a.layerNorm ? 'PQN' : 'DQN'}'s: train it with --algo ${a.layerNorm ? 'pqn' : 'dqn'}); PPO's file holds an actor and a critic`;
    if (a.layerNorm) return 'has LayerNorm layers (a PQN network: train it with --algo pqn)';
    if (a.dueling) return "has a dueling head; PPO's actor has none";
    if (a.quantiles > 1) return `has ${a.quantiles} quantiles per action; PPO's actor has one output per action`;
    return null;
  },
  withNetwork: (c, n) => ({ ...c, env: n.env, hidden: [...n.hidden], activation: n.activation, normalizeObservation: n.normalizeObservation === true }),
  estimateMemory: estimatePpoMemory,
  checkpoint: PPO_CHECKPOINT,
};

/** Every algorithm, by the name `--algo` takes. */
export const ALGORITHMS = { dqn: DQN_ALGORITHM, pqn: PQN_ALGORITHM, ppo: PPO_ALGORITHM } as const;
export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];
/** The algorithm a run trains when none is named. */
export const DEFAULT_ALGORITHM: AlgorithmName = 'dqn';

/** Throws InvalidArgumentError unless `name` is an algorithm, listing the names there are. */
export function checkAlgorithmName(name: string): AlgorithmName {
  if (!(ALGORITHM_NAMES as string[]).includes(name)) throw new InvalidArgumentError(`unknown algorithm '${name}'; there are ${ALGORITHM_NAMES.join(', ')}`);
  return name as AlgorithmName;
}

/** The entry named `name`; throws InvalidArgumentError listing the names there are. */
export function algorithm(name: string): (typeof ALGORITHMS)[AlgorithmName] {
  return ALGORITHMS[checkAlgorithmName(name)];
}

/** Code that works with any algorithm's entry, its config and snapshot types kept together. */
export type AlgorithmUser<R> = <C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>) => R;

/**
 * Calls `use` with the entry named `name`, typed as one entry (its config type and snapshot type
 * together), so a front end written once against AlgorithmEntry<C, S> serves every algorithm.
 */
export function withAlgorithm<R>(name: string, use: AlgorithmUser<R>): R {
  const checked = checkAlgorithmName(name);
  switch (checked) {
    case 'dqn':
      return use(DQN_ALGORITHM);
    case 'pqn':
      return use(PQN_ALGORITHM);
    case 'ppo':
      return use(PPO_ALGORITHM);
  }
}

/** The algorithm whose preset `name` is, or null when no algorithm has it. */
export function presetOwner(name: string): AlgorithmName | null {
  return ALGORITHM_NAMES.find((algo) => ALGORITHMS[algo].presetNames.includes(name)) ?? null;
}

/** The algorithm that wrote an opened checkpoint, from its metadata's `kind`. */
export function checkpointAlgorithm(opened: OpenedCheckpoint): AlgorithmName {
  const kind = (opened.meta as { kind?: unknown } | null)?.kind;
  const found = ALGORITHM_NAMES.find((algo) => ALGORITHMS[algo].checkpoint.kind === kind);
  if (found === undefined) {
    throw new InvalidArgumentError(`${opened.fileName}: not a trainer checkpoint this build reads (kind ${JSON.stringify(kind)}; there are ${ALGORITHM_NAMES.map((a) => ALGORITHMS[a].checkpoint.kind).join(', ')})`);
  }
  return found;
}
