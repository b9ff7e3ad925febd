/**
 * The checkpoint file of a rollout trainer (PQN, PPO: iterations of a rollout then epochs of
 * minibatches, a snapshot always between iterations) in src/io/checkpoint.ts's format: arrays for
 * the weights, the optimiser's two moments and the best weights (plus any an algorithm adds: PQN's
 * device envs); JSON for the config, counters, generator states, each env's open episode, and what
 * the run was called (RunInfo). No replay buffer. Browser-safe.
 *
 * Reading checks everything before anything is built from it (as checkpoint-validation.ts does for
 * DQN, with the same field checks: checkpoint-fields.ts): the metadata field by field, the config
 * through the algorithm's schema, every array's name, dtype and length against the network the
 * config describes before any array is inflated, then every value finite. An algorithm gives a
 * RolloutCheckpointSpec; this module writes and reads the rest once for all of them.
 */
import { DEVICE_ENV_SPECS, type DeviceEnvKind, type FloatArray } from '../backend/backend.js';
import type { EnvOn } from './device-rollout.js';
import { InvalidArgumentError, formatShape } from '../errors.js';
import { envDims, envSizes, type EnvSizes } from '../envs/registry.js';
import { encodeCheckpoint, readCheckpointArrays, type JsonValue, type OpenedCheckpoint } from '../io/checkpoint.js';
import type { NpyArrayHeader, NpyData } from '../io/npy.js';
import { listNames } from '../io/zip-read.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import type { RngState } from '../random/rng.js';
import { CheckpointFields, type Json } from './checkpoint-fields.js';
import { checkpointConfigNaming, olderCheckpointValues, validateWithSchema, type ConfigSpec } from './config-schema.js';
import { NonFiniteError, describeNonFinite, firstNonFinite } from './non-finite-guard.js';
import type { OpenEpisodeState } from './open-episode.js';
import type { PeriodicEvaluationState } from './periodic-evaluation.js';
import type { RunInfo, TrainerCheckpoint } from './trainer-checkpoint.js';

/** What every rollout trainer's config holds. */
export interface RolloutConfig {
  env: string;
  hidden: number[];
  numEnvs: number;
  numSteps: number;
  numMinibatches: number;
  updateEpochs: number;
}

/** What every rollout trainer's snapshot holds (PqnState, PpoState add their own fields). */
export interface RolloutState<C extends RolloutConfig, A extends string> extends PeriodicEvaluationState {
  version: number;
  algorithm: A;
  config: C;
  seed: number;
  steps: number;
  episodes: number;
  iterations: number;
  lastLoss: number;
  /** Iterations whose updates were undone (onNonFinite 'skip'). */
  skippedIterations: number;
  recentReturns: number[];
  rng: RngState;
  /** The host envs' open episodes. */
  envs: OpenEpisodeState[];
  agent: { weights: FloatArray[]; optimizer: OptimizerState; updates: number };
}

/** An algorithm's arrays beyond the weights, moments and best weights (PQN's device envs), each checked finite on reading. */
export interface ExtraArrays<C, S> {
  /** Each extra array's length, by name, for a config. */
  lengths(config: C): Map<string, number>;
  /** The arrays of a snapshot. */
  encode(state: S): Record<string, NpyData>;
  /** The snapshot fields read back from them (already checked finite and of their lengths). */
  decode(arrays: ReadonlyMap<string, FloatArray>, config: C): Partial<S>;
}

/** What differs between the rollout trainers' checkpoints. */
export interface RolloutCheckpointSpec<C extends RolloutConfig, A extends string, S extends RolloutState<C, A>> {
  /** The `kind` the metadata carries. */
  kind: string;
  /** The snapshot format (S['version']). */
  version: S['version'];
  /** S['algorithm']. */
  algorithm: A;
  /** The algorithm's name in messages ('PQN'). */
  title: string;
  config: ConfigSpec<C>;
  presetNames: readonly string[];
  optimizer: OptimizerState['kind'];
  /** The (rows, cols) of the weights of a config's network, in the weights' order. */
  weightShapes(config: C, dims: EnvSizes): [number, number][];
  /** The (rows, cols) of the best weights (the policy's arrays, PPO's with its observation statistics); default weightShapes. */
  policyShapes?(config: C, dims: EnvSizes): [number, number][];
  /** Whether the algorithm trains Box-action envs too (PPO): its env's sizes are then envSizes', not envDims' (which refuses them). */
  anyActionSpace?: boolean;
  /** Checks of the config beyond its schema (fields.bad names the field). */
  checkConfig?(config: C, fields: CheckpointFields): void;
  /** The envs whose open episodes the snapshot holds (PQN's device envs: none). */
  hostEnvs(config: C): number;
  extraArrays?: ExtraArrays<C, S>;
  /** An algorithm's JSON beyond the common fields (PPO's normalisation statistics), kept under the metadata's `extra`. */
  extraMeta?: {
    encode(state: S): Json;
    /** The snapshot fields read back from `extra` (fields.bad names a bad one: 'extra.…'). */
    decode(extra: Json, config: C, fields: CheckpointFields): Partial<S>;
  };
}

/** The array of the device envs' state (S, N) in a checkpoint of an envOn 'device' run (float64: the counters and returns exactly). */
const DEVICE_ENV_ARRAY = 'deviceEnv';

/**
 * What a rollout trainer whose envs may step on the device (config.envOn: PQN, PPO) adds to its
 * checkpoint spec: a run's envOn settled ('host' or 'device', never 'auto'), and with device envs
 * their state (S, N) as the array `deviceEnv` (S['deviceEnv']) instead of host episodes.
 */
export function deviceEnvCheckpointParts<C extends RolloutConfig & { envOn: EnvOn }, A extends string, S extends RolloutState<C, A> & { deviceEnv?: number[] }>(): Pick<
  RolloutCheckpointSpec<C, A, S>,
  'checkConfig' | 'hostEnvs' | 'extraArrays'
> {
  return {
    // A run records where its envs stepped (pqnConfigFor, ppoConfigFor), so that it resumes the same way on any backend.
    checkConfig: (config, fields) => {
      if (config.envOn === 'auto') fields.bad('config.envOn', "is 'auto'; a checkpoint records the run's own, 'host' or 'device'");
    },
    // Device envs keep no host episodes: their state is the deviceEnv array.
    hostEnvs: (config) => (config.envOn === 'device' ? 0 : config.numEnvs),
    extraArrays: {
      lengths: (config) => new Map(config.envOn === 'device' ? [[DEVICE_ENV_ARRAY, DEVICE_ENV_SPECS[config.env as DeviceEnvKind].stateRows * config.numEnvs]] : []),
      encode: (state): Record<string, Float64Array> => (state.deviceEnv !== undefined ? { [DEVICE_ENV_ARRAY]: Float64Array.from(state.deviceEnv) } : {}),
      decode: (arrays, config) => (config.envOn === 'device' ? ({ deviceEnv: Array.from(arrays.get(DEVICE_ENV_ARRAY) ?? []) } as Partial<S>) : {}),
    },
  };
}

/** The arrays' prefixes: the weights, the optimiser's two moments, the best evaluated weights. */
const LISTS = ['weights', 'optimizer/m', 'optimizer/v', 'best'] as const;

/** The JSON part: the snapshot's plain fields, NaN and -Infinity as null, and what locates the arrays. */
interface RolloutCheckpointMeta<C> {
  kind: string;
  version: number;
  config: C;
  seed: number;
  steps: number;
  episodes: number;
  iterations: number;
  lastLoss: number | null;
  skippedIterations: number;
  recentReturns: number[];
  rng: RngState;
  envs: OpenEpisodeState[];
  updates: number;
  optimizerStep: number;
  evalEnvRng: RngState | null;
  bestMeanReturn: number | null;
  bestSteps: number;
  hasBest: boolean;
  run: RunInfo;
  /** The algorithm's own fields (RolloutCheckpointSpec.extraMeta), absent when it has none. */
  extra?: Json;
}

/** The checkpoint codec of a rollout trainer (AlgorithmEntry.checkpoint). */
export interface RolloutCheckpointCodec<S> {
  kind: string;
  encode(state: S, run: RunInfo): Uint8Array;
  decode(opened: OpenedCheckpoint): TrainerCheckpoint<S>;
  checkFinite(state: S): void;
}

export function rolloutCheckpointCodec<C extends RolloutConfig, A extends string, S extends RolloutState<C, A>>(spec: RolloutCheckpointSpec<C, A, S>): RolloutCheckpointCodec<S> {
  /** The sizes of the config's env: envDims (Discrete only) unless the algorithm takes Box actions. */
  const sizesOf = (env: string): EnvSizes => (spec.anyActionSpace === true ? envSizes(env) : { ...envDims(env), box: null });
  const encode = (state: S, run: RunInfo): Uint8Array => {
    const arrays: Record<string, NpyData> = {};
    const addList = (prefix: string, list: readonly FloatArray[]) => list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
    addList('weights', state.agent.weights);
    addList('optimizer/m', state.agent.optimizer.slots.m);
    addList('optimizer/v', state.agent.optimizer.slots.v);
    if (state.bestWeights) addList('best', state.bestWeights);
    if (spec.extraArrays !== undefined) Object.assign(arrays, spec.extraArrays.encode(state));
    const meta: RolloutCheckpointMeta<C> = {
      kind: spec.kind,
      version: spec.version,
      config: { ...state.config, hidden: [...state.config.hidden] },
      seed: state.seed,
      steps: state.steps,
      episodes: state.episodes,
      iterations: state.iterations,
      lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null,
      skippedIterations: state.skippedIterations,
      recentReturns: [...state.recentReturns],
      rng: state.rng,
      envs: state.envs,
      updates: state.agent.updates,
      optimizerStep: state.agent.optimizer.step,
      evalEnvRng: state.evalEnvRng,
      bestMeanReturn: Number.isFinite(state.bestMeanReturn) ? state.bestMeanReturn : null,
      bestSteps: state.bestSteps,
      hasBest: state.bestWeights !== null,
      run: { preset: run.preset, ...(run.frontEnd !== undefined ? { frontEnd: run.frontEnd } : {}) },
      ...(spec.extraMeta !== undefined ? { extra: spec.extraMeta.encode(state) } : {}),
    };
    return encodeCheckpoint({ arrays, meta: meta as unknown as JsonValue });
  };

  /** Checks the JSON part field by field; returns it typed. Throws InvalidArgumentError naming the field. */
  const checkMeta = (raw: unknown, fileName: string): RolloutCheckpointMeta<C> => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${fileName}: checkpoint metadata is not an object`);
    const meta = raw as Json;
    if (meta.kind !== spec.kind) throw new InvalidArgumentError(`${fileName}: not a ${spec.title} trainer checkpoint`);
    const fields = new CheckpointFields(meta, fileName);
    const show = CheckpointFields.show;
    if (meta.version !== spec.version) fields.bad('version', `is ${show(meta.version)}; this build reads version ${spec.version}`);
    const rawConfig = meta.config;
    if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) fields.bad('config', `must be an object, got ${show(rawConfig)}`);
    // Fields added since a checkpoint was written take the value older runs implied.
    const config = { ...olderCheckpointValues(spec.config.fields), ...(rawConfig as C) };
    meta.config = config as unknown as Json[string];
    validateWithSchema(spec.config, config, ...checkpointConfigNaming<C>(fileName));
    spec.checkConfig?.(config, fields);
    const dims = sizesOf(config.env);
    fields.count('seed');
    const steps = fields.count('steps');
    const episodes = fields.count('episodes');
    const iterations = fields.count('iterations');
    const perIteration = config.numEnvs * config.numSteps;
    if (steps !== iterations * perIteration) fields.bad('steps', `(${steps}) must be 'iterations' (${iterations}) x numEnvs x numSteps (${perIteration}): a snapshot is taken between iterations`);
    const updates = fields.count('updates');
    const perIterationUpdates = config.updateEpochs * config.numMinibatches;
    const skipped = fields.count('skippedIterations');
    if (skipped > iterations) fields.bad('skippedIterations', `(${skipped}) exceeds 'iterations' (${iterations})`);
    // Skipped iterations' updates were undone (the agent restored to before them).
    if (updates > (iterations - skipped) * perIterationUpdates) {
      fields.bad('updates', `(${updates}) exceeds (iterations - skippedIterations) x updateEpochs x numMinibatches (${(iterations - skipped) * perIterationUpdates})`);
    }
    const optimizerStep = fields.count('optimizerStep');
    if (optimizerStep !== updates) fields.bad('optimizerStep', `(${optimizerStep}) must equal 'updates' (${updates})`);
    fields.trainerFields(steps, episodes, spec.hostEnvs(config), dims);
    fields.flag('hasBest');
    const run = meta.run as Json | undefined;
    if (run === undefined) fields.bad('run.preset', 'is missing');
    fields.runPreset(spec.presetNames);
    if (spec.extraMeta !== undefined) {
      const extra = meta.extra;
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) fields.bad('extra', `must be an object, got ${show(extra)}`);
    }
    return meta as unknown as RolloutCheckpointMeta<C>;
  };

  /** Every array's expected length, by name, for this metadata. */
  const arrayLengths = (meta: RolloutCheckpointMeta<C>, shapes: [number, number][], best: [number, number][]): Map<string, number> => {
    const lengths = new Map<string, number>();
    for (const prefix of LISTS) {
      if (prefix === 'best' && !meta.hasBest) continue;
      (prefix === 'best' ? best : shapes).forEach(([rows, cols], i) => lengths.set(`${prefix}/${i}`, rows * cols));
    }
    if (spec.extraArrays !== undefined) for (const [name, length] of spec.extraArrays.lengths(meta.config)) lengths.set(name, length);
    return lengths;
  };

  /**
   * Decodes an opened checkpoint of this kind: the metadata first, then every array's name, dtype
   * and length, before any array is inflated, then every value finite.
   */
  const decode = (opened: OpenedCheckpoint): TrainerCheckpoint<S> => {
    const fileName = opened.fileName;
    const meta = checkMeta(opened.meta, fileName);
    const extraMeta = spec.extraMeta === undefined ? {} : spec.extraMeta.decode(meta.extra as Json, meta.config, new CheckpointFields(opened.meta as Json, fileName));
    const sizes = sizesOf(meta.config.env);
    const shapes = spec.weightShapes(meta.config, sizes);
    const bestShapes = spec.policyShapes?.(meta.config, sizes) ?? shapes;
    const lengths = arrayLengths(meta, shapes, bestShapes);
    const unexpected = opened.names.filter((name) => !lengths.has(name));
    if (unexpected.length > 0) throw new InvalidArgumentError(`${fileName}: holds arrays a checkpoint of its config does not: ${listNames(unexpected)}`);
    for (const name of lengths.keys()) if (!opened.names.includes(name)) throw new InvalidArgumentError(`${fileName}: checkpoint is missing '${name}'`);
    const { arrays } = readCheckpointArrays(opened, () => (name: string, header: NpyArrayHeader) => {
      if (header.dtype !== '<f4' && header.dtype !== '<f8') throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' has dtype ${header.descr}; it must be <f4 or <f8`);
      const length = header.shape.reduce((a, b) => a * b, 1);
      const wanted = lengths.get(name) as number;
      if (length !== wanted) throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' has shape ${formatShape(header.shape)} (${length} values); the config needs ${wanted}`);
    });
    const finite = (name: string): FloatArray => {
      const values = arrays.get(name)?.data as FloatArray;
      const j = firstNonFinite(values);
      if (j >= 0) throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' holds ${values[j]} at index ${j}: a checkpoint must hold finite numbers`);
      return values;
    };
    const list = (prefix: string): FloatArray[] => (prefix === 'best' ? bestShapes : shapes).map((_, i) => finite(`${prefix}/${i}`));
    const extra = spec.extraArrays;
    const extraFields = extra === undefined ? {} : extra.decode(new Map([...extra.lengths(meta.config).keys()].map((name) => [name, finite(name)])), meta.config);
    // The fields every rollout snapshot has, and the algorithm's own (extraFields): together an S.
    const state = {
      version: spec.version,
      algorithm: spec.algorithm,
      config: { ...meta.config, hidden: [...meta.config.hidden] },
      seed: meta.seed,
      steps: meta.steps,
      episodes: meta.episodes,
      iterations: meta.iterations,
      lastLoss: meta.lastLoss ?? Number.NaN,
      skippedIterations: meta.skippedIterations,
      recentReturns: [...meta.recentReturns],
      rng: meta.rng,
      envs: meta.envs,
      ...extraFields,
      ...extraMeta,
      agent: { weights: list('weights'), optimizer: { kind: spec.optimizer, step: meta.optimizerStep, slots: { m: list('optimizer/m'), v: list('optimizer/v') } }, updates: meta.updates },
      evalEnvRng: meta.evalEnvRng,
      bestWeights: meta.hasBest ? list('best') : null,
      bestMeanReturn: meta.bestMeanReturn ?? Number.NEGATIVE_INFINITY,
      bestSteps: meta.bestSteps,
    } as unknown as S;
    const frontEnd = meta.run.frontEnd;
    return { state, run: { preset: meta.run.preset, ...(frontEnd !== undefined ? { frontEnd } : {}) } };
  };

  /** Throws NonFiniteError when a snapshot's weights or optimiser moments hold NaN or an infinity (a checkpoint never holds them). */
  const checkFinite = (state: S): void => {
    const parts: [readonly FloatArray[], string][] = [
      [state.agent.weights, 'weights'],
      ...Object.entries(state.agent.optimizer.slots).map(([slot, list]): [readonly FloatArray[], string] => [list, `optimizer's ${slot} slots`]),
    ];
    for (const [arrays, what] of parts) {
      const found = describeNonFinite(arrays, what);
      if (found !== null) throw new NonFiniteError(state.steps, state.agent.updates, found);
    }
  };

  return { kind: spec.kind, encode, decode, checkFinite };
}
