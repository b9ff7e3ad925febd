/**
 * A PqnTrainer snapshot (PqnState) as a checkpoint file (src/io/checkpoint.ts): arrays for the
 * weights, RAdam's moments and the best weights; JSON for the config, counters, generator states,
 * each env's open episode, and what the run was called (RunInfo). No replay buffer: PQN keeps none
 * between iterations, and a snapshot is taken between iterations. Browser-safe.
 *
 * Reading checks everything before anything is built from it (as checkpoint-validation.ts does for
 * DQN, with the same field checks: checkpoint-fields.ts): the metadata field by field, the config
 * through PQN_CONFIG's schema, every array's name, dtype and length against the network the config
 * describes before any array is inflated, then every value finite.
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError, formatShape } from '../errors.js';
import { envDims } from '../envs/registry.js';
import { encodeCheckpoint, readCheckpointArrays, type JsonValue, type OpenedCheckpoint } from '../io/checkpoint.js';
import type { NpyArrayHeader, NpyData } from '../io/npy.js';
import { listNames } from '../io/zip-read.js';
import { CheckpointFields, type Json } from './checkpoint-fields.js';
import { olderCheckpointValues, validateWithSchema } from './config-schema.js';
import { DEVICE_ENV_SPECS, type DeviceEnvKind } from '../backend/backend.js';
import { NonFiniteError, describeNonFinite, firstNonFinite } from './non-finite-guard.js';
import { pqnWeightShapes } from './pqn-agent.js';
import { PQN_CONFIG, PQN_PRESET_NAMES, type PqnConfig } from './pqn-config.js';
import { PQN_STATE_VERSION, type PqnState } from './pqn-trainer.js';
import type { RunInfo, TrainerCheckpoint } from './trainer-checkpoint.js';

/** The `kind` a PQN checkpoint's metadata carries. */
export const PQN_CHECKPOINT_KIND = 'pqn-trainer';

/** The arrays' prefixes: the weights, RAdam's two moments, the best evaluated weights. */
const LISTS = ['weights', 'optimizer/m', 'optimizer/v', 'best'] as const;

/** The array of the device envs' state (S, N) in a checkpoint of an envOn 'device' run (float64: the counters and returns exactly). */
const DEVICE_ENV_ARRAY = 'deviceEnv';

/** The JSON part: PqnState's plain fields, NaN and -Infinity as null, and what locates the arrays. */
interface PqnCheckpointMeta {
  kind: typeof PQN_CHECKPOINT_KIND;
  version: typeof PQN_STATE_VERSION;
  config: PqnConfig;
  seed: number;
  steps: number;
  episodes: number;
  iterations: number;
  lastLoss: number | null;
  skippedIterations: number;
  recentReturns: number[];
  rng: PqnState['rng'];
  envs: PqnState['envs'];
  updates: number;
  optimizerStep: number;
  evalEnvRng: PqnState['evalEnvRng'];
  bestMeanReturn: number | null;
  bestSteps: number;
  hasBest: boolean;
  run: RunInfo;
}

export function encodePqnCheckpoint(state: PqnState, run: RunInfo): Uint8Array {
  const arrays: Record<string, NpyData> = {};
  const addList = (prefix: string, list: readonly FloatArray[]) => list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
  addList('weights', state.agent.weights);
  addList('optimizer/m', state.agent.optimizer.slots.m);
  addList('optimizer/v', state.agent.optimizer.slots.v);
  if (state.bestWeights) addList('best', state.bestWeights);
  if (state.deviceEnv !== undefined) arrays[DEVICE_ENV_ARRAY] = Float64Array.from(state.deviceEnv);
  const meta: PqnCheckpointMeta = {
    kind: PQN_CHECKPOINT_KIND,
    version: PQN_STATE_VERSION,
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
  };
  return encodeCheckpoint({ arrays, meta: meta as unknown as JsonValue });
}

/** Checks the JSON part field by field; returns it typed. Throws InvalidArgumentError naming the field. */
function checkPqnMeta(raw: unknown, fileName: string): PqnCheckpointMeta {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${fileName}: checkpoint metadata is not an object`);
  const meta = raw as Json;
  if (meta.kind !== PQN_CHECKPOINT_KIND) throw new InvalidArgumentError(`${fileName}: not a PQN trainer checkpoint`);
  const fields = new CheckpointFields(meta, fileName);
  const show = CheckpointFields.show;
  if (meta.version !== PQN_STATE_VERSION) fields.bad('version', `is ${show(meta.version)}; this build reads version ${PQN_STATE_VERSION}`);
  const rawConfig = meta.config;
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) fields.bad('config', `must be an object, got ${show(rawConfig)}`);
  // Fields added since a checkpoint was written take the value older runs implied (envOn: 'host').
  const config = { ...olderCheckpointValues(PQN_CONFIG.fields), ...(rawConfig as PqnConfig) };
  meta.config = config as unknown as Json[string];
  validateWithSchema(PQN_CONFIG, config, (key) => `${fileName}: checkpoint field 'config.${key}'`);
  // A run records where its envs stepped (pqnConfigFor), so that it resumes the same way on any backend.
  if (config.envOn === 'auto') fields.bad('config.envOn', "is 'auto'; a checkpoint records the run's own, 'host' or 'device'");
  const dims = envDims(config.env);
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
  // Device envs keep no host episodes: their state is the deviceEnv array.
  fields.trainerFields(steps, episodes, config.envOn === 'device' ? 0 : config.numEnvs, dims);
  fields.flag('hasBest');
  const run = meta.run as Json | undefined;
  if (run === undefined) fields.bad('run.preset', 'is missing');
  fields.runPreset(PQN_PRESET_NAMES);
  return meta as unknown as PqnCheckpointMeta;
}

/** Every array's expected length, by name, for this metadata. */
function arrayLengths(meta: PqnCheckpointMeta): Map<string, number> {
  const { obsDim, nActions } = envDims(meta.config.env);
  const shapes = pqnWeightShapes(obsDim, nActions, meta.config.hidden);
  const lengths = new Map<string, number>();
  for (const prefix of LISTS) {
    if (prefix === 'best' && !meta.hasBest) continue;
    shapes.forEach(([rows, cols], i) => lengths.set(`${prefix}/${i}`, rows * cols));
  }
  if (meta.config.envOn === 'device') lengths.set(DEVICE_ENV_ARRAY, DEVICE_ENV_SPECS[meta.config.env as DeviceEnvKind].stateRows * meta.config.numEnvs);
  return lengths;
}

/**
 * Decodes an opened PQN checkpoint (openCheckpoint; its kind says PQN): the metadata first, then
 * every array's name, dtype and length, before any array is inflated, then every value finite.
 */
export function decodePqnCheckpoint(opened: OpenedCheckpoint): TrainerCheckpoint<PqnState> {
  const fileName = opened.fileName;
  const meta = checkPqnMeta(opened.meta, fileName);
  const lengths = arrayLengths(meta);
  const unexpected = opened.names.filter((name) => !lengths.has(name));
  if (unexpected.length > 0) throw new InvalidArgumentError(`${fileName}: holds arrays a checkpoint of its config does not: ${listNames(unexpected)}`);
  for (const name of lengths.keys()) if (!opened.names.includes(name)) throw new InvalidArgumentError(`${fileName}: checkpoint is missing '${name}'`);
  const { arrays } = readCheckpointArrays(opened, () => (name: string, header: NpyArrayHeader) => {
    if (header.dtype !== '<f4' && header.dtype !== '<f8') throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' has dtype ${header.descr}; it must be <f4 or <f8`);
    const length = header.shape.reduce((a, b) => a * b, 1);
    const wanted = lengths.get(name) as number;
    if (length !== wanted) throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' has shape ${formatShape(header.shape)} (${length} values); the config needs ${wanted}`);
  });
  const count = pqnWeightShapes(envDims(meta.config.env).obsDim, envDims(meta.config.env).nActions, meta.config.hidden).length;
  const list = (prefix: string): FloatArray[] =>
    Array.from({ length: count }, (_, i) => {
      const name = `${prefix}/${i}`;
      const values = arrays.get(name)?.data as FloatArray;
      const j = firstNonFinite(values);
      if (j >= 0) throw new InvalidArgumentError(`${fileName}: checkpoint array '${name}' holds ${values[j]} at index ${j}: a checkpoint must hold finite numbers`);
      return values;
    });
  const state: PqnState = {
    version: PQN_STATE_VERSION,
    algorithm: 'pqn',
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
    ...(meta.config.envOn === 'device' ? { deviceEnv: Array.from(deviceEnvValues(arrays.get(DEVICE_ENV_ARRAY)?.data as FloatArray, fileName)) } : {}),
    agent: { weights: list('weights'), optimizer: { kind: 'radam', step: meta.optimizerStep, slots: { m: list('optimizer/m'), v: list('optimizer/v') } }, updates: meta.updates },
    evalEnvRng: meta.evalEnvRng,
    bestWeights: meta.hasBest ? list('best') : null,
    bestMeanReturn: meta.bestMeanReturn ?? Number.NEGATIVE_INFINITY,
    bestSteps: meta.bestSteps,
  };
  const frontEnd = meta.run.frontEnd;
  return { state, run: { preset: meta.run.preset, ...(frontEnd !== undefined ? { frontEnd } : {}) } };
}

/** Throws NonFiniteError when a snapshot's weights or RAdam moments hold NaN or an infinity (a checkpoint never holds them). */
export function checkPqnStateFinite(state: PqnState): void {
  const parts: [readonly FloatArray[], string][] = [
    [state.agent.weights, 'weights'],
    ...Object.entries(state.agent.optimizer.slots).map(([slot, list]): [readonly FloatArray[], string] => [list, `optimizer's ${slot} slots`]),
  ];
  for (const [arrays, what] of parts) {
    const found = describeNonFinite(arrays, what);
    if (found !== null) throw new NonFiniteError(state.steps, state.agent.updates, found);
  }
}

/** The device envs' state array, checked finite. */
function deviceEnvValues(values: FloatArray, fileName: string): FloatArray {
  const j = firstNonFinite(values);
  if (j >= 0) throw new InvalidArgumentError(`${fileName}: checkpoint array '${DEVICE_ENV_ARRAY}' holds ${values[j]} at index ${j}: a checkpoint must hold finite numbers`);
  return values;
}
