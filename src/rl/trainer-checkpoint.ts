/**
 * A trainer snapshot as a checkpoint file (see src/io/checkpoint.ts): arrays for the weights,
 * Adam moments and replay buffer, JSON for the config, counters and generator states, and what
 * the run was called (RunInfo). Browser-safe.
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { encodeCheckpoint, openCheckpoint, readCheckpointArrays, type JsonValue, type OpenedCheckpoint } from '../io/checkpoint.js';
import type { NpyData } from '../io/npy.js';
import { DQN_CHECKPOINT_KIND, checkCheckpointArrays, checkCheckpointMeta, checkpointArrayHeaders } from './checkpoint-validation.js';

export { DQN_CHECKPOINT_KIND };
import { closestPreset } from './config.js';
import type { TrainerState } from './trainer-state.js';

/** What a checkpoint records about the run besides the trainer's state: what --resume needs to label and continue it. */
export interface RunInfo {
  /** The preset the run's config started from (flags may have changed some fields). */
  preset: string;
  /** The front end's own record of the run (the CLI's output paths and metrics rows), opaque here. */
  frontEnd?: JsonValue;
}

/** A decoded checkpoint file. */
export interface TrainerCheckpoint<S = TrainerState> {
  state: S;
  run: RunInfo;
}

/** TrainerState's fields held as arrays in the checkpoint, or reshaped for JSON. */
type ArrayFields = 'online' | 'target' | 'averaged' | 'optimizer' | 'replay' | 'bestWeights' | 'lastLoss' | 'bestMeanReturn';

/** The JSON part: every plain field of TrainerState as it is, plus what locates the arrays. */
type CheckpointMeta = Omit<TrainerState, ArrayFields> & {
  kind: typeof DQN_CHECKPOINT_KIND;
  /** NaN (before the first loss read) is stored as null: JSON has no NaN. */
  lastLoss: number | null;
  /** -Infinity (no evaluation yet) is stored as null. */
  bestMeanReturn: number | null;
  optimizer: { kind: TrainerState['optimizer']['kind']; step: number; slots: Record<string, number> };
  parameterCount: number;
  hasBest: boolean;
  /** Whether the policy average's weights are stored ('averaged/<i>'); absent in checkpoints written before policy averaging. */
  hasAveraged?: boolean;
  /** `added` is absent in checkpoints written before n-step returns. */
  replay: { capacity: number; obsDim: number; size: number; next: number; added?: number };
  /** Absent in checkpoints written before it was recorded. */
  run?: RunInfo;
};

export function encodeTrainerCheckpoint(state: TrainerState, run: RunInfo): Uint8Array {
  const arrays: Record<string, NpyData> = {};
  const addList = (prefix: string, list: readonly FloatArray[]) => list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
  const { online, target, averaged, optimizer, replay, bestWeights, lastLoss, bestMeanReturn, ...plain } = state;
  addList('online', online);
  addList('target', target);
  if (averaged) addList('averaged', averaged);
  for (const [slot, list] of Object.entries(optimizer.slots)) addList(`optimizer/${slot}`, list);
  if (bestWeights) addList('best', bestWeights);
  arrays['replay/observations'] = replay.observations;
  arrays['replay/next_observations'] = replay.nextObservations;
  arrays['replay/actions'] = replay.actions;
  arrays['replay/rewards'] = replay.rewards;
  arrays['replay/terminated'] = replay.terminated;
  arrays['replay/successors'] = replay.successors;
  arrays['replay/stream_last'] = replay.streamLast;
  const meta: CheckpointMeta = {
    kind: DQN_CHECKPOINT_KIND,
    ...plain,
    lastLoss: Number.isFinite(lastLoss) ? lastLoss : null,
    bestMeanReturn: Number.isFinite(bestMeanReturn) ? bestMeanReturn : null,
    optimizer: {
      kind: optimizer.kind,
      step: optimizer.step,
      slots: Object.fromEntries(Object.entries(optimizer.slots).map(([k, v]) => [k, v.length])),
    },
    parameterCount: online.length,
    hasBest: bestWeights !== null,
    hasAveraged: averaged !== null,
    replay: { capacity: replay.capacity, obsDim: replay.obsDim, size: replay.size, next: replay.next, added: replay.added },
    run: { preset: run.preset, ...(run.frontEnd !== undefined ? { frontEnd: run.frontEnd } : {}) },
  };
  return encodeCheckpoint({ arrays, meta: meta as unknown as JsonValue });
}

/**
 * Decodes a checkpoint file. One written before runs recorded their preset gets the preset its
 * config differs from in the fewest fields. The metadata is checked first, then every array's
 * name, dtype and length against what its config implies, before any array's data is inflated.
 */
export function decodeTrainerCheckpoint(bytes: Uint8Array, fileName: string): TrainerCheckpoint {
  return decodeDqnCheckpoint(openCheckpoint(bytes, fileName));
}

/** Decodes an opened DQN checkpoint (openCheckpoint; its kind says DQN): see decodeTrainerCheckpoint. */
export function decodeDqnCheckpoint(opened: OpenedCheckpoint): TrainerCheckpoint {
  const fileName = opened.fileName;
  let meta = null as CheckpointMeta | null;
  const { arrays } = readCheckpointArrays(opened, (raw, names) => {
    // Every field's kind and range, before anything is built from them (checkpoint-validation.ts).
    const checked = checkCheckpointMeta(raw, fileName);
    meta = checked as unknown as CheckpointMeta;
    return checkpointArrayHeaders(checked, fileName, names);
  });
  if (meta === null) throw new Error('readCheckpointArrays returned without checking the metadata');
  // Names, dtypes and lengths are as the config needs (checkpointArrayHeaders): these casts hold.
  const data = (name: string) => arrays.get(name)?.data ?? null;
  const floats = (name: string) => data(name) as FloatArray;
  const list = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => floats(`${prefix}/${i}`));
  const actions = data('replay/actions') as Int32Array;
  const terminated = data('replay/terminated') as Uint8Array;
  const { kind: _kind, parameterCount: n, hasBest, hasAveraged, lastLoss, bestMeanReturn, optimizer, replay, run, ...plain } = meta;
  if (run !== undefined && (run === null || typeof run !== 'object' || typeof run.preset !== 'string' || run.preset === '')) {
    throw new InvalidArgumentError(`${fileName}: 'run.preset' must be a preset name`);
  }
  const successors = data('replay/successors') as Int32Array | null;
  const streamLast = data('replay/stream_last') as Float64Array | null;
  // The metadata is in this version's layout (checkCheckpointMeta upgrades version-1 files).
  const state: TrainerState = {
    ...plain,
    lastLoss: lastLoss ?? Number.NaN,
    bestMeanReturn: bestMeanReturn ?? Number.NEGATIVE_INFINITY,
    online: list('online', n),
    target: list('target', n),
    averaged: hasAveraged === true ? list('averaged', n) : null,
    optimizer: {
      kind: optimizer.kind,
      step: optimizer.step,
      slots: Object.fromEntries(Object.entries(optimizer.slots).map(([slot, count]) => [slot, list(`optimizer/${slot}`, count)])),
    },
    replay: {
      ...replay,
      observations: floats('replay/observations') as Float32Array,
      nextObservations: floats('replay/next_observations') as Float32Array,
      actions,
      rewards: floats('replay/rewards') as Float32Array,
      terminated,
      // Files written before n-step returns have no n-step chains (their runs used one-step targets).
      successors: successors ?? new Int32Array(replay.capacity).fill(-1),
      streamLast: streamLast ?? new Float64Array(0),
      added: replay.added ?? (replay.size === replay.capacity ? replay.capacity + replay.next : replay.next),
    },
    bestWeights: hasBest ? list('best', n) : null,
  };
  // A file written before n-step returns has no stream ends: every env's stream starts afresh.
  if (state.replay.streamLast.length === 0) state.replay.streamLast = new Float64Array(state.config.numEnvs).fill(-1);
  checkCheckpointArrays(state, fileName);
  const frontEnd = run?.frontEnd;
  return { state, run: { preset: run?.preset ?? closestPreset(plain.config), ...(frontEnd !== undefined ? { frontEnd } : {}) } };
}
