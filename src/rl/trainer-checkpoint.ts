/**
 * A trainer snapshot as a checkpoint file (see src/io/checkpoint.ts): arrays for the weights,
 * Adam moments and replay buffer, JSON for the config, counters and generator states.
 * Browser-safe.
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint, type JsonValue } from '../io/checkpoint.js';
import type { NdArray, NpyData } from '../io/npy.js';
import type { RngState } from '../random/rng.js';
import type { DqnConfig } from './config.js';
import type { TrainerState } from './dqn-trainer.js';

interface CheckpointMeta {
  kind: 'dqn-trainer';
  version: 1;
  config: DqnConfig;
  seed: number;
  steps: number;
  episodes: number;
  updates: number;
  lastLoss: number | null;
  updatesSinceLossRead: number;
  recentReturns: number[];
  rng: RngState;
  envRng: RngState | null;
  episodeResetSeed: number | null;
  episodeActions: number[];
  episodeShapedReturn: number;
  evalEnvRng: RngState | null;
  optimizer: { kind: 'adam' | 'sgd'; step: number; slots: Record<string, number> };
  parameterCount: number;
  hasBest: boolean;
  bestMeanReturn: number | null;
  bestSteps: number;
  replay: { capacity: number; obsDim: number; size: number; next: number };
}

export function encodeTrainerCheckpoint(state: TrainerState): Uint8Array {
  const arrays: Record<string, NpyData> = {};
  const addList = (prefix: string, list: readonly FloatArray[]) => list.forEach((a, i) => (arrays[`${prefix}/${i}`] = a));
  addList('online', state.online);
  addList('target', state.target);
  for (const [slot, list] of Object.entries(state.optimizer.slots)) addList(`optimizer/${slot}`, list);
  if (state.bestWeights) addList('best', state.bestWeights);
  const r = state.replay;
  arrays['replay/observations'] = r.observations;
  arrays['replay/next_observations'] = r.nextObservations;
  arrays['replay/actions'] = r.actions;
  arrays['replay/rewards'] = r.rewards;
  arrays['replay/terminated'] = r.terminated;
  const meta: CheckpointMeta = {
    kind: 'dqn-trainer',
    version: state.version,
    config: state.config,
    seed: state.seed,
    steps: state.steps,
    episodes: state.episodes,
    updates: state.updates,
    lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null,
    updatesSinceLossRead: state.updatesSinceLossRead,
    recentReturns: state.recentReturns,
    rng: state.rng,
    envRng: state.envRng,
    episodeResetSeed: state.episodeResetSeed,
    episodeActions: state.episodeActions,
    episodeShapedReturn: state.episodeShapedReturn,
    evalEnvRng: state.evalEnvRng,
    optimizer: {
      kind: state.optimizer.kind,
      step: state.optimizer.step,
      slots: Object.fromEntries(Object.entries(state.optimizer.slots).map(([k, v]) => [k, v.length])),
    },
    parameterCount: state.online.length,
    hasBest: state.bestWeights !== null,
    bestMeanReturn: Number.isFinite(state.bestMeanReturn) ? state.bestMeanReturn : null,
    bestSteps: state.bestSteps,
    replay: { capacity: r.capacity, obsDim: r.obsDim, size: r.size, next: r.next },
  };
  return encodeCheckpoint({ arrays, meta: meta as unknown as JsonValue });
}

export function decodeTrainerCheckpoint(bytes: Uint8Array, fileName: string): TrainerState {
  const { arrays, meta: raw } = decodeCheckpoint(bytes, fileName);
  const meta = raw as unknown as CheckpointMeta;
  if (meta === null || typeof meta !== 'object' || meta.kind !== 'dqn-trainer') {
    throw new InvalidArgumentError(`${fileName}: not a DQN trainer checkpoint`);
  }
  const get = (name: string): NdArray => {
    const a = arrays.get(name);
    if (!a) throw new InvalidArgumentError(`${fileName}: checkpoint is missing '${name}'`);
    return a;
  };
  const floats = (name: string): FloatArray => {
    const data = get(name).data;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) throw new InvalidArgumentError(`${fileName}: '${name}' is not a float array`);
    return data;
  };
  const list = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => floats(`${prefix}/${i}`));
  const n = meta.parameterCount;
  const actions = get('replay/actions').data;
  const terminated = get('replay/terminated').data;
  if (!(actions instanceof Int32Array) || !(terminated instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${fileName}: replay actions/terminated have the wrong dtype`);
  }
  return {
    version: meta.version,
    config: meta.config,
    seed: meta.seed,
    steps: meta.steps,
    episodes: meta.episodes,
    updates: meta.updates,
    lastLoss: meta.lastLoss ?? Number.NaN,
    updatesSinceLossRead: meta.updatesSinceLossRead,
    recentReturns: meta.recentReturns,
    rng: meta.rng,
    envRng: meta.envRng,
    episodeResetSeed: meta.episodeResetSeed,
    episodeActions: meta.episodeActions,
    episodeShapedReturn: meta.episodeShapedReturn,
    evalEnvRng: meta.evalEnvRng,
    online: list('online', n),
    target: list('target', n),
    optimizer: {
      kind: meta.optimizer.kind,
      step: meta.optimizer.step,
      slots: Object.fromEntries(Object.entries(meta.optimizer.slots).map(([slot, count]) => [slot, list(`optimizer/${slot}`, count)])),
    },
    replay: {
      ...meta.replay,
      observations: floats('replay/observations') as Float32Array,
      nextObservations: floats('replay/next_observations') as Float32Array,
      actions,
      rewards: floats('replay/rewards') as Float32Array,
      terminated,
    },
    bestWeights: meta.hasBest ? list('best', n) : null,
    bestMeanReturn: meta.bestMeanReturn ?? Number.NEGATIVE_INFINITY,
    bestSteps: meta.bestSteps,
  };
}
