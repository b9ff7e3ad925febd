/**
 * Checks a trainer checkpoint before anything is built from it, so that a damaged or hand-edited
 * file is refused with one line naming the field, never a TypeError, a hang (a `steps` that is not
 * a number never reaches the budget) or a huge allocation. Browser-safe.
 *
 * Three steps, all called by decodeTrainerCheckpoint:
 * - `checkCheckpointMeta`: the JSON part, field by field (kinds, ranges, the config through
 *   validateConfig, generator states, counters that agree with each other);
 * - `checkpointArrayHeaders`: the arrays' names and .npy headers (dtype, length) against the
 *   network the config describes and the replay buffer's capacity, before any array is inflated
 *   (a file's arrays can never make it allocate more than its config implies);
 * - `checkCheckpointArrays`: the decoded values: every weight and optimizer moment finite, the
 *   stored actions in range, the policy average present exactly when the config averages.
 *
 * A config field added after checkpoints were first written declares the value older checkpoints
 * imply in the schema (`olderCheckpoints` in DQN_CONFIG); they are filled in here.
 */
import { InvalidArgumentError, formatShape } from '../errors.js';
import { envDims } from '../envs/registry.js';
import { listNames } from '../io/zip-read.js';
import type { NpyArrayHeader, NpyDType } from '../io/npy.js';
import { DQN_CONFIG, PRESET_NAMES, validateConfig, type DqnConfig } from './config.js';
import { CheckpointFields, type Json } from './checkpoint-fields.js';
import { checkpointConfigNaming, olderCheckpointValues } from './config-schema.js';
import { firstNonFinite } from './non-finite-guard.js';
import { qNetworkWeightShapes } from './q-network.js';
import { TRAINER_STATE_VERSION, upgradeTrainerState, type TrainerState } from './trainer-state.js';

/** The `kind` a DQN checkpoint's metadata carries. */
export const DQN_CHECKPOINT_KIND = 'dqn-trainer';

/** Config fields added after checkpoints were first written, with the value older checkpoints mean (from the schema). */
const CONFIG_FIELDS_ADDED_LATER: Partial<DqnConfig> = olderCheckpointValues(DQN_CONFIG.fields);

/**
 * Checks the JSON part of a checkpoint (as parsed) and returns it with config fields added in later
 * versions filled in. Throws InvalidArgumentError `${fileName}: field 'x' ...`.
 */
export function checkCheckpointMeta(raw: unknown, fileName: string): Json {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError(`${fileName}: checkpoint metadata is not an object`);
  if ((raw as Json).kind !== DQN_CHECKPOINT_KIND) throw new InvalidArgumentError(`${fileName}: not a DQN trainer checkpoint`);
  const version = (raw as Json).version;
  const bad = (field: string, why: string): never => new CheckpointFields(raw as Json, fileName).bad(field, why);
  if (version !== 1 && version !== TRAINER_STATE_VERSION) bad('version', `is ${JSON.stringify(version)}; this build reads versions 1 and ${TRAINER_STATE_VERSION}`);
  const rawConfig = (raw as Json).config;
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) bad('config', `must be an object, got ${JSON.stringify(rawConfig)}`);
  // A version-1 file (one env, its episode at the top level) in this version's layout.
  const meta = upgradeTrainerState(raw as never) as unknown as Json;
  const fields = new CheckpointFields(meta, fileName);
  const show = CheckpointFields.show;

  // The config first: everything else is checked against it.
  const config = { ...CONFIG_FIELDS_ADDED_LATER, ...(meta.config as Json) } as unknown as DqnConfig;
  validateConfig(config, ...checkpointConfigNaming<DqnConfig>(fileName));
  const dims = envDims(config.env);

  fields.count('seed');
  const steps = fields.count('steps');
  const episodes = fields.count('episodes');
  fields.count('updates');
  const sinceRead = fields.count('updatesSinceLossRead');
  if (sinceRead > fields.count('updates')) bad('updatesSinceLossRead', `(${sinceRead}) exceeds 'updates' (${String(meta.updates)})`);
  // Each env's episode in progress, generators, the best evaluation.
  fields.trainerFields(steps, episodes, config.numEnvs, dims);
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
  fields.flag('hasBest');

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
  fields.runPreset(PRESET_NAMES);
  return { ...meta, config };
}

/** An array a checkpoint holds: the dtypes it may be stored as, its length, and whether older files may lack it. */
interface ArraySpec {
  dtypes: readonly NpyDType[];
  length: number;
  optional: boolean;
}

const FLOATS: readonly NpyDType[] = ['<f4', '<f8'];

/** The arrays a checkpoint with this metadata (as checkCheckpointMeta returns it) holds, by name. */
function checkpointArraySpecs(meta: Json): Map<string, ArraySpec> {
  const config = meta.config as DqnConfig;
  const dims = envDims(config.env);
  const shapes = qNetworkWeightShapes({ ...config, ...dims });
  const specs = new Map<string, ArraySpec>();
  const lists = ['online', 'target', 'optimizer/m', 'optimizer/v', ...(meta.hasAveraged === true ? ['averaged'] : []), ...(meta.hasBest === true ? ['best'] : [])];
  for (const prefix of lists) shapes.forEach(([rows, cols], i) => specs.set(`${prefix}/${i}`, { dtypes: FLOATS, length: rows * cols, optional: false }));
  const n = config.bufferSize;
  const replay: [string, readonly NpyDType[], number, boolean][] = [
    ['observations', ['<f4'], n * dims.obsDim, false],
    ['next_observations', ['<f4'], n * dims.obsDim, false],
    ['actions', ['<i4'], n, false],
    ['rewards', ['<f4'], n, false],
    ['terminated', ['|u1', '|b1'], n, false],
    // Absent in files written before n-step returns.
    ['successors', ['<i4'], n, true],
    ['stream_last', ['<f8'], config.numEnvs, true],
  ];
  for (const [name, dtypes, length, optional] of replay) specs.set(`replay/${name}`, { dtypes, length, optional });
  return specs;
}

/**
 * Checks a checkpoint's array names against what its metadata (checked by checkCheckpointMeta)
 * implies, and returns the check of each array's .npy header: its dtype and length must be what
 * the network of the config and the replay buffer's capacity need. decodeCheckpoint runs both
 * before any array's data is inflated.
 */
export function checkpointArrayHeaders(meta: Json, fileName: string, names: readonly string[]): (name: string, header: NpyArrayHeader) => void {
  const bad = (what: string, why: string): never => {
    throw new InvalidArgumentError(`${fileName}: checkpoint array '${what}' ${why}`);
  };
  const specs = checkpointArraySpecs(meta);
  const unexpected = names.filter((name) => !specs.has(name));
  if (unexpected.length > 0) throw new InvalidArgumentError(`${fileName}: holds arrays a checkpoint of its config does not: ${listNames(unexpected)}`);
  const listed = new Set(names);
  for (const [name, spec] of specs) if (!spec.optional && !listed.has(name)) throw new InvalidArgumentError(`${fileName}: checkpoint is missing '${name}'`);
  return (name, header) => {
    const spec = specs.get(name) as ArraySpec;
    if (!spec.dtypes.includes(header.dtype)) bad(name, `has dtype ${header.descr}; it must be ${spec.dtypes.join(' or ')}`);
    const length = header.shape.reduce((a, b) => a * b, 1);
    if (length !== spec.length) bad(name, `has shape ${formatShape(header.shape)} (${length} values); the config needs ${spec.length}`);
  };
}

/**
 * Checks a decoded state's values (its arrays' dtypes and lengths were checked from their headers
 * by checkpointArrayHeaders): the policy average present exactly when the config averages, every
 * weight, target weight and optimizer moment finite (a checkpoint never holds a diverged state),
 * and every stored action one the env has.
 */
export function checkCheckpointArrays(state: TrainerState, fileName: string): void {
  const bad = (what: string, why: string): never => {
    throw new InvalidArgumentError(`${fileName}: checkpoint array '${what}' ${why}`);
  };
  const dims = envDims(state.config.env);
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
      const j = firstNonFinite(values);
      if (j >= 0) bad(`${prefix}/${i}`, `holds ${values[j]} at index ${j}: a checkpoint must hold finite numbers`);
    });
  }
  const { replay } = state;
  for (let i = 0; i < replay.size; i++) {
    const a = replay.actions[i];
    if (a < 0 || a >= dims.nActions) bad('replay/actions', `holds action ${a} at index ${i}; ${state.config.env} has ${dims.nActions} actions`);
  }
}
