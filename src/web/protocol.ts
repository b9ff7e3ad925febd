/**
 * The messages between the page (main thread) and the training worker. The worker owns the
 * backend (and so the GPU device); the page only draws. Requests carry an `id` and are answered
 * by exactly one `reply`; the worker also pushes `progress` and `notice` events on its own.
 */
import type { BackendKind } from '../backend/create-backend.js';
import type { ALGORITHMS, AlgorithmName } from '../rl/algorithms.js';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';
import type { EnvFinding } from '../envs/check-env.js';
import type { EnvCheckPhase } from '../envs/traced-env-check.js';
import type { RgbFrame } from '../envs/types.js';
import type { ConformanceResult } from './conformance-case.js';
import type { EnvModuleSource } from './env-module-source.js';

/** What a `configure` reply says about the backend that was opened. */
export interface BackendInfo {
  /** The backend actually in use ('auto' resolved). */
  name: 'cpu' | 'webgpu';
  /** The kind asked for. */
  requested: BackendKind;
  /**
   * `vendor architecture (description)` of the WebGPU adapter, or the CPU backend's kernels
   * ('WebAssembly SIMD128 + FMA', 'WebAssembly SIMD128' or 'JavaScript, Float32Array').
   */
  description: string;
  /** Why the CPU is used when WebGPU was wanted or 'auto' fell back; null otherwise. */
  fallbackReason: string | null;
}

/** Counters of a training run, pushed with every progress event. */
export interface TrainingCounters {
  steps: number;
  episodes: number;
  updates: number;
  /** The exploration rate of the next step (NaN where the algorithm does not explore by epsilon: shown as '–'). */
  epsilon: number;
  /** Latest loss read back (NaN before the first update). */
  loss: number;
  meanReturn100: number;
  /** Env steps and gradient updates per second over the last progress interval. */
  stepsPerSecond: number;
  updatesPerSecond: number;
  /** The backend's work since the run was set up (its BackendStats counters): what a run costs in read backs, submits and dispatches. */
  work: { readbacks: number; submits: number; dispatches: number };
  /** Whether the budget is spent. */
  done: boolean;
  running: boolean;
}

/** What the first env step of a run cost to reach: the GPU pipelines built for it (on their first use). */
export interface StartReport {
  /** Pipelines the WebGPU backend has built by the first step (null on the CPU backend). */
  gpuPipelines: number | null;
  /** Kernels dispatched by then (each built once: equal to gpuPipelines), null on the CPU backend. */
  kernelsDispatched: number | null;
}

/**
 * A snapshot of the first training env for the canvas: the unwrapped env's internal state (host
 * envs), or env 0's physics rows read back from the device (device envs: one small read back).
 */
export interface EnvSnapshot {
  envId: string;
  /** The unwrapped env's internal state (built-in envs; empty for a custom env). */
  state: number[];
  /** A custom env that renders: its current RGBA frame (a copy, transferred), drawn as it is. */
  frame?: RgbFrame;
  /** Step within the current episode. */
  episodeStep: number;
  episode: number;
}

/** The config type of an algorithm of the registry (what its presets and form give). */
export type ConfigOf<A extends AlgorithmName> = ReturnType<(typeof ALGORITHMS)[A]['preset']>;

/**
 * A run's algorithm and its config, one variant per registry entry: `algo` says which entry's
 * config `config` is. (The worker checks it with that entry's schema before training: a message is
 * data, whatever its type says.)
 */
export type RunConfig = { [A in AlgorithmName]: { algo: A; config: ConfigOf<A> } }[AlgorithmName];

/** Requests from the page. */
export type WorkerRequest =
  | ({ type: 'configure'; backend: BackendKind; seed: number } & RunConfig)
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'greedy-episode'; seed: number }
  /** The first training env's state now, for the canvas: the page's render loop asks, at most one in flight. */
  | { type: 'env-snapshot' }
  | { type: 'get-weights' }
  | { type: 'load-weights'; bytes: Uint8Array; fileName: string }
  | { type: 'conformance' }
  /** Imports a custom env module in the worker, checks a fresh instance (checkEnv) and, without error findings, registers it. */
  | { type: 'load-env-module'; source: EnvModuleSource };

/** A Box or Discrete space as plain data (what crosses postMessage; adaptEnv's plain spaces). */
export type PlainSpace = { n: number; start: number } | { shape: number[]; low: number[]; high: number[] };

/** What the worker found loading a custom env module. */
export interface LoadedEnvModule {
  id: string;
  /** The module as the page names it (its URL, or 'pasted module'). */
  shown: string;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
  /** checkEnv's findings on a fresh instance, errors first. */
  findings: EnvFinding[];
  /** Whether the env was registered in the worker (no error finding). */
  registered: boolean;
  /** Whether it renders RGBA frames (`renderMode: 'rgb_array'`): the canvas draws them. */
  rendersFrames: boolean;
  observationSpace: PlainSpace & { shape: number[] };
  actionSpace: PlainSpace;
}

/** A reply's value, by request type. */
export interface ReplyValues {
  configure: BackendInfo;
  start: TrainingCounters;
  pause: TrainingCounters;
  'greedy-episode': GreedyEpisode;
  /** Null before the run's first step. While training, taken at the next iteration boundary. */
  'env-snapshot': EnvSnapshot | null;
  /** The policy's weights file, the hidden widths and the algorithm (for the file's name). */
  'get-weights': { bytes: Uint8Array; hidden: number[]; algo: AlgorithmName };
  /** The run the weights were loaded into (its algorithm and config: a fresh one when `restarted`). */
  'load-weights': { hidden: number[]; restarted: boolean; run: RunConfig };
  conformance: ConformanceResult;
  'load-env-module': LoadedEnvModule;
}

/** Frames a greedy episode of a custom env records at most (the first ones; the episode still plays to its end). */
export const GREEDY_FRAME_CAP = 1000;
/** Bytes of RGBA a greedy episode of a custom env records at most (1,000 frames of 600 x 400 would be 960 MB). */
export const GREEDY_FRAME_BYTES_CAP = 256 * 1024 * 1024;

/** One greedy episode played with the current weights, every state recorded for playback. */
export interface GreedyEpisode {
  envId: string;
  seed: number;
  return: number;
  length: number;
  /** The unwrapped env state after reset and after every step, flattened (`stateSize` numbers each). */
  states: Float64Array;
  stateSize: number;
  /**
   * A custom env that renders: its frames after reset and after every step (the first
   * GREEDY_FRAME_CAP, and no more than GREEDY_FRAME_BYTES_CAP bytes), concatenated RGBA of `width` x `height` each; null otherwise.
   */
  frames: { width: number; height: number; count: number; data: Uint8ClampedArray } | null;
}

export type RequestMessage = WorkerRequest & { id: number };

/** Messages from the worker. */
export type WorkerMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | {
      type: 'progress';
      counters: TrainingCounters;
      /** Episodes finished since the previous progress event. */
      episodes: EpisodeLog[];
      evaluations: EvaluationLog[];
    }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; text: string }
  /** What the worker is doing while the page waits (opening the backend, compiling shaders, the first step). */
  | { type: 'status'; text: string }
  /** The run's first env step happened (the page times Start to here). */
  | { type: 'started'; report: StartReport }
  /** What loading a custom env module is calling now (sent when it changes): the page names it if the call never returns. */
  | { type: 'env-check-phase'; phase: EnvCheckPhase };
