/**
 * Checks a trainer checkpoint before anything is built from it, so that a damaged or hand-edited
 * file is refused with one line naming the field, never a TypeError, a hang (a `steps` that is not
 * a number never reaches the budget) or a huge allocation. Browser-safe.
 *
 * Two steps, both called by decodeTrainerCheckpoint:
 * - `checkCheckpointMeta`: the JSON part, field by field (kinds, ranges, the config through
 *   validateConfig, generator states, counters that agree with each other);
 * - `checkCheckpointArrays`: the arrays against the network the config describes (count, length,
 *   dtype), the replay buffer against the config, and every weight and optimizer moment finite.
 *
 * A config field added after checkpoints were first written declares the value older checkpoints
 * imply in the schema (`olderCheckpoints` in DQN_CONFIG); they are filled in here.
 */
import { InvalidArgumentError } from '../errors.js';
import { envSpec, make } from '../envs/registry.js';
import { Rng } from '../random/rng.js';
import { DQN_CONFIG, PRESET_NAMES, validateConfig, type DqnConfig } from './config.js';
import { olderCheckpointValues } from './config-schema.js';
import { firstNonFinite } from './non-finite-guard.js';
import { qNetworkWeightShapes } from './q-network.js';
import { TRAINER_STATE_VERSION, upgradeTrainerState, type TrainerState } from './trainer-state.js';

/** Config fields added after checkpoints were first written, with the value older checkpoints mean (from the schema). */
const CONFIG_FIELDS_ADDED_LATER: Partial<DqnConfig> = olderCheckpointValues(DQN_CONFIG.fields);

type Json = Record<string, unknown>;

/** The env's sizes a checkpoint's arrays must match. */
interface EnvDims {
  obsDim: number;
  nActions: number;
  maxEpisodeSteps: number | null;
}

/**
 * Checks the JSON part of a checkpoint (as parsed) and returns it with config fields added in later
 * versions filled in. Throws InvalidArgumentError `${fileName}: field 'x' ...`.
 */
export function checkCheckpointMeta(raw: unknown, fileName: string): Json {
  const bad = (field: string, why: string): never => {
    throw new InvalidArgumentError(`${fileName}: checkpoint field '${field}' ${why}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${fileName}: checkpoint metadata is not an object`);
  if ((raw as Json).kind !== 'dqn-trainer') throw new InvalidArgumentError(`${fileName}: not a DQN trainer checkpoint`);
  const version = (raw as Json).version;
  if (version !== 1 && version !== TRAINER_STATE_VERSION) bad('version', `is ${JSON.stringify(version)}; this build reads versions 1 and ${TRAINER_STATE_VERSION}`);
  const rawConfig = (raw as Json).config;
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) bad('config', `must be an object, got ${JSON.stringify(rawConfig)}`);
  // A version-1 file (one env, its episode at the top level) in this version's layout.
  const meta = upgradeTrainerState(raw as never) as unknown as Json;
  const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));
  const count = (field: string): number => {
    const v = meta[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(field, `must be a non-negative integer, got ${show(v)}`);
    return v as number;
  };
  const numberOrNull = (field: string) => {
    const v = meta[field];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) bad(field, `must be a finite number or null, got ${show(v)}`);
  };
  const rngStateOf = (v: unknown, field: string, nullable: boolean) => {
    if (v === null && nullable) return;
    const state = v as { bitGenerator?: { state?: unknown; inc?: unknown } } | null;
    const bits = state?.bitGenerator;
    const decimal = (x: unknown) => typeof x === 'string' && /^\d{1,40}$/.test(x);
    if (state === null || typeof state !== 'object' || bits === null || typeof bits !== 'object' || !decimal(bits?.state) || !decimal(bits?.inc)) {
      bad(field, `must be a generator state (decimal 'state' and 'inc'), got ${show(v)}`);
    }
    try {
      Rng.fromState(v as never);
    } catch (error) {
      bad(field, `is not a usable generator state (${(error as Error).message})`);
    }
  };

  // The config first: everything else is checked against it.
  const config = { ...CONFIG_FIELDS_ADDED_LATER, ...(meta.config as Json) } as unknown as DqnConfig;
  validateConfig(config, (key) => `${fileName}: checkpoint field 'config.${key}'`);
  const dims = envDims(config.env);

  count('seed');
  const steps = count('steps');
  const episodes = count('episodes');
  count('updates');
  const sinceRead = count('updatesSinceLossRead');
  if (sinceRead > count('updates')) bad('updatesSinceLossRead', `(${sinceRead}) exceeds 'updates' (${String(meta.updates)})`);
  numberOrNull('lastLoss');
  numberOrNull('bestMeanReturn');
  const bestSteps = count('bestSteps');
  if (bestSteps > steps) bad('bestSteps', `(${bestSteps}) exceeds 'steps' (${steps})`);
  const recent = meta.recentReturns;
  if (!Array.isArray(recent) || recent.length > 100 || recent.length > episodes || recent.some((r) => typeof r !== 'number' || !Number.isFinite(r))) {
    bad('recentReturns', `must list at most min(100, episodes) finite returns, got ${Array.isArray(recent) ? `${recent.length} values` : show(recent)}`);
  }
  const rngState = (field: string, nullable: boolean) => rngStateOf(meta[field], field, nullable);
  rngState('rng', false);
  rngState('evalEnvRng', true);
  // Each env's episode in progress.
  const envs = meta.envs;
  if (!Array.isArray(envs) || envs.length !== config.numEnvs) bad('envs', `must hold one episode state per env (${config.numEnvs}), got ${Array.isArray(envs) ? `${envs.length}` : show(envs)}`);
  const longest = dims.maxEpisodeSteps ?? Number.POSITIVE_INFINITY;
  (envs as unknown[]).forEach((entry, i) => {
    const field = (name: string) => `envs[${i}].${name}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) bad(`envs[${i}]`, `must be an object, got ${show(entry)}`);
    const e = entry as Json;
    rngStateOf(e.envRng, field('envRng'), true);
    const resetSeed = e.episodeResetSeed;
    if (resetSeed !== null && (typeof resetSeed !== 'number' || !Number.isSafeInteger(resetSeed) || resetSeed < 0)) bad(field('episodeResetSeed'), `must be a seed or null, got ${show(resetSeed)}`);
    const actions = e.episodeActions;
    if (!Array.isArray(actions) || actions.length >= longest || actions.length > steps || actions.some((a) => !Number.isInteger(a) || a < 0 || a >= dims.nActions)) {
      bad(field('episodeActions'), `must list the open episode's actions (integers in [0, ${dims.nActions}), fewer than ${longest}), got ${Array.isArray(actions) ? `${actions.length} values` : show(actions)}`);
    }
    if (typeof e.episodeShapedReturn !== 'number' || !Number.isFinite(e.episodeShapedReturn)) bad(field('episodeShapedReturn'), `must be a finite number, got ${show(e.episodeShapedReturn)}`);
  });
  // The acting pipeline: the group deciding next, and a group's decided actions not yet stepped.
  const acting = meta.acting as Json | null;
  if (acting === null || typeof acting !== 'object' || Array.isArray(acting)) bad('acting', `must be an object, got ${show(acting)}`);
  const a = acting as Json;
  const groups = config.actingGroups;
  if (!Number.isInteger(a.nextGroup) || (a.nextGroup as number) < 0 || (a.nextGroup as number) >= groups) bad('acting.nextGroup', `must be an acting group in [0, ${groups}), got ${show(a.nextGroup)}`);
  const pending = a.pendingGroup;
  if (!Number.isInteger(pending) || (pending as number) < -1 || (pending as number) >= groups) bad('acting.pendingGroup', `must be -1 or an acting group in [0, ${groups}), got ${show(pending)}`);
  const pendingCount = pending === -1 ? 0 : config.numEnvs / groups;
  const pendingActions = a.pendingActions;
  if (!Array.isArray(pendingActions) || pendingActions.length !== pendingCount || pendingActions.some((x) => !Number.isInteger(x) || x < 0 || x >= dims.nActions)) {
    bad('acting.pendingActions', `must list ${pendingCount} actions in [0, ${dims.nActions}), got ${show(pendingActions)}`);
  }
  const epsilons = a.epsilons;
  if (!Array.isArray(epsilons) || epsilons.length !== config.numEnvs || epsilons.some((x) => typeof x !== 'number' || !(x >= 0 && x <= 1))) {
    bad('acting.epsilons', `must list ${config.numEnvs} exploration rates in [0, 1], got ${Array.isArray(epsilons) ? `${epsilons.length} values` : show(epsilons)}`);
  }
  if (typeof meta.hasBest !== 'boolean') bad('hasBest', `must be true or false, got ${show(meta.hasBest)}`);

  const shapes = qNetworkWeightShapes({ ...config, ...dims });
  if (meta.parameterCount !== shapes.length) bad('parameterCount', `is ${show(meta.parameterCount)}; the network of the config has ${shapes.length} parameter arrays`);
  const optimizer = meta.optimizer as Json | null;
  if (optimizer === null || typeof optimizer !== 'object') bad('optimizer', `must be an object, got ${show(optimizer)}`);
  const o = optimizer as Json;
  if (o.kind !== 'adam') bad('optimizer.kind', `must be 'adam', got ${show(o.kind)}`);
  if (typeof o.step !== 'number' || !Number.isSafeInteger(o.step) || o.step < 0) bad('optimizer.step', `must be a non-negative integer, got ${show(o.step)}`);
  const slots = o.slots as Json | null;
  if (slots === null || typeof slots !== 'object' || Object.keys(slots).sort().join(',') !== 'm,v' || slots.m !== shapes.length || slots.v !== shapes.length) {
    bad('optimizer.slots', `must be { m: ${shapes.length}, v: ${shapes.length} }, got ${show(slots)}`);
  }
  const replay = meta.replay as Json | null;
  if (replay === null || typeof replay !== 'object') bad('replay', `must be an object, got ${show(replay)}`);
  const r = replay as Json;
  if (r.capacity !== config.bufferSize) bad('replay.capacity', `is ${show(r.capacity)}, config.bufferSize is ${config.bufferSize}`);
  if (r.obsDim !== dims.obsDim) bad('replay.obsDim', `is ${show(r.obsDim)}, ${config.env} observations have ${dims.obsDim} values`);
  const inBuffer = (field: 'size' | 'next', max: number) => {
    const v = r[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) bad(`replay.${field}`, `must be an integer in [0, ${max}], got ${show(v)}`);
  };
  inBuffer('size', Math.min(config.bufferSize, steps));
  inBuffer('next', config.bufferSize - 1);
  const run = meta.run as Json | undefined | null;
  if (run !== undefined && (run === null || typeof run !== 'object' || typeof run.preset !== 'string' || !(PRESET_NAMES as readonly string[]).includes(run.preset))) {
    bad('run.preset', `must be one of ${PRESET_NAMES.join(', ')}, got ${show(run?.preset)}`);
  }
  return { ...meta, config };
}

function envDims(envId: string): EnvDims {
  const env = make(envId);
  const dims = { obsDim: env.obsDim, nActions: env.actionSpace.n, maxEpisodeSteps: envSpec(envId).maxEpisodeSteps };
  env.close();
  return dims;
}

/**
 * Checks a decoded state's arrays against its config: one weight array per parameter of the
 * network, each of the right length, replay arrays of the buffer's size, and every weight, target
 * weight and optimizer moment finite (a checkpoint never holds a diverged state).
 */
export function checkCheckpointArrays(state: TrainerState, fileName: string): void {
  const bad = (what: string, why: string): never => {
    throw new InvalidArgumentError(`${fileName}: checkpoint array '${what}' ${why}`);
  };
  const dims = envDims(state.config.env);
  const shapes = qNetworkWeightShapes({ ...state.config, ...dims });
  const lists: [string, readonly ArrayLike<number>[] | null][] = [
    ['online', state.online],
    ['target', state.target],
    ['averaged', state.averaged],
    ['optimizer/m', state.optimizer.slots.m],
    ['optimizer/v', state.optimizer.slots.v],
    ['best', state.bestWeights],
  ];
  if ((state.config.policyAverageTau > 0) !== (state.averaged !== null)) {
    bad('averaged', state.averaged === null ? 'is missing: the run averages its policy (policyAverageTau > 0)' : 'is present, but the run does not average its policy (policyAverageTau 0)');
  }
  for (const [prefix, list] of lists) {
    if (list === null) continue;
    list.forEach((values, i) => {
      const [rows, cols] = shapes[i];
      if (values.length !== rows * cols) bad(`${prefix}/${i}`, `has ${values.length} values; parameter ${i} of the network is ${rows}x${cols}`);
      const j = firstNonFinite(values);
      if (j >= 0) bad(`${prefix}/${i}`, `holds ${values[j]} at index ${j}: a checkpoint must hold finite numbers`);
    });
  }
  const { replay } = state;
  const n = replay.capacity;
  const lengths: [string, number, number][] = [
    ['replay/observations', replay.observations.length, n * dims.obsDim],
    ['replay/next_observations', replay.nextObservations.length, n * dims.obsDim],
    ['replay/actions', replay.actions.length, n],
    ['replay/rewards', replay.rewards.length, n],
    ['replay/terminated', replay.terminated.length, n],
    ['replay/successors', replay.successors.length, n],
    ['replay/stream_last', replay.streamLast.length, state.config.numEnvs],
  ];
  for (const [name, actual, expected] of lengths) if (actual !== expected) bad(name, `has ${actual} values; a buffer of ${n} transitions needs ${expected}`);
  if (replay.observations.constructor !== Float32Array || replay.nextObservations.constructor !== Float32Array || replay.rewards.constructor !== Float32Array) {
    bad('replay/observations, next_observations, rewards', 'must be float32');
  }
  for (let i = 0; i < replay.size; i++) {
    const a = replay.actions[i];
    if (a < 0 || a >= dims.nActions) bad('replay/actions', `holds action ${a} at index ${i}; ${state.config.env} has ${dims.nActions} actions`);
  }
}
