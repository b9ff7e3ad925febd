/**
 * What the training worker does, free of any worker API so it also runs (and is tested) in Node:
 * it owns the backend and the trainer (the algorithm registry's), trains in short slices while running, and answers the
 * page's requests. Requests that touch the agent are serialised with the training slices, so a
 * greedy episode or a weights download never interleaves with an update.
 */
import type { Backend } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { createBackend, type BackendKind } from '../backend/create-backend.js';
import { WebGpuBackend } from '../backend/webgpu/webgpu-backend.js';
import { InvalidArgumentError, errorMessage } from '../errors.js';
import { buildFromEntryPoint } from '../envs/custom-env.js';
import { Env } from '../envs/env.js';
import { importEnvModuleAt } from '../envs/env-module-exports.js';
import { isRegisteredEnv, make, register, type EnvEntryPoint } from '../envs/registry.js';
import { isBox, type ActionSpace, type Box } from '../envs/spaces.js';
import { checkEnvModuleTraced, type EnvCheckPhase } from '../envs/traced-env-check.js';
import type { RgbFrame } from '../envs/types.js';
import { ALGORITHM_NAMES, ALGORITHMS, checkAlgorithmName, withAlgorithm, type AlgorithmEntry, type AlgorithmName } from '../rl/algorithms.js';
import { validateWithSchema } from '../rl/config-schema.js';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';
import type { BaseConfig, BaseState, Trainer } from '../rl/trainer.js';
import { evaluateGreedy } from '../rl/greedy-evaluation.js';
import { sameValue } from '../rl/config-values.js';
import { RECORDED_NETWORK_FIELDS, readWeightsFile, type NetworkFields } from '../rl/weights-file.js';
import { resolveWeightsNetwork } from '../rl/weights-network.js';
import { runConformanceCases } from './conformance-case.js';
import { PASTED_MODULE_DEFAULT_ID, PASTED_MODULE_NAME, defaultIdOfUrl, sameOriginModuleUrl, type EnvModuleSource } from './env-module-source.js';
import { captureEnvState } from './env-view.js';
import {
  GREEDY_FRAME_BYTES_CAP,
  GREEDY_FRAME_CAP,
  type BackendInfo,
  type EnvSnapshot,
  type GreedyEpisode,
  type LoadedEnvModule,
  type PlainSpace,
  type ReplyValues,
  type RequestMessage,
  type RunConfig,
  type StartReport,
  type TrainingCounters,
  type WorkerMessage,
} from './protocol.js';

/** Sends a message to the page (postMessage in the worker), with buffers to transfer. */
export type PostMessage = (message: WorkerMessage, transfer?: ArrayBuffer[]) => void;

export interface TrainingSessionOptions {
  /** Milliseconds of training between progress events (default 40: about 25 canvas updates a second). */
  sliceMs?: number;
  /** The page's URL, whose origin a custom env module's URL must have (default: the worker's location). */
  pageUrl?: string;
  /** Window of the steps/s and updates/s counters in milliseconds (default 1000). */
  rateWindowMs?: number;
}

interface RateSample {
  time: number;
  steps: number;
  updates: number;
}

/** Code that works with a run's entry and trainer, their config and snapshot types kept together. */
type RunUser<R> = <C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, trainer: Trainer<C, S>) => R;

/**
 * The session's run: its trainer as every algorithm's (counters, envs, policy), and `use`, which
 * hands the entry and the trainer to code that needs the algorithm's own config type (weights).
 */
interface SessionRun {
  readonly algo: AlgorithmName;
  readonly trainer: Trainer<BaseConfig, unknown>;
  use<R>(user: RunUser<R>): R;
}

function sessionRun<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, trainer: Trainer<C, S>): SessionRun {
  return { algo: checkAlgorithmName(entry.name), trainer, use: (user) => user(entry, trainer) };
}

/** A config as the page's form shows it, with its algorithm (copied: the trainer keeps its own). */
function runConfigOf<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, config: C): RunConfig {
  // `entry` is the registry's entry named entry.name, so `config` is that variant's config.
  return { algo: checkAlgorithmName(entry.name), config: structuredClone(config) } as unknown as RunConfig;
}

/** Lets pending messages (a pause, say) run between training slices. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class TrainingSession {
  private backend: Backend | null = null;
  private backendInfo: BackendInfo | null = null;
  private run: SessionRun | null = null;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private lock: Promise<unknown> = Promise.resolve();
  private episodesOut: EpisodeLog[] = [];
  private evaluationsOut: EvaluationLog[] = [];
  /** Milliseconds spent in training slices this run (for the run's average rates once stopped). */
  private activeMs = 0;
  private rateSamples: RateSample[] = [];
  /** The backend's work counters when the run was set up. */
  private workAtStart: TrainingCounters['work'] = { readbacks: 0, submits: 0, dispatches: 0 };
  /** Canvas snapshot requests made while training, served at the training loop's next iteration boundary. */
  private snapshotWaiters: { resolve: (snapshot: EnvSnapshot | null) => void; reject: (error: unknown) => void }[] = [];
  private readonly sliceMs: number;
  private readonly rateWindowMs: number;
  private readonly pageUrl: string | null;
  /** Ids registered from custom env modules by this session (a module loaded again may replace its own id, never a built-in env's). */
  private readonly moduleIds = new Set<string>();

  constructor(
    private readonly post: PostMessage,
    options: TrainingSessionOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? 40;
    this.rateWindowMs = options.rateWindowMs ?? 1000;
    this.pageUrl = options.pageUrl ?? (globalThis as { location?: { href: string } }).location?.href ?? null;
  }

  /** Answers one request with one reply (errors become `ok: false` replies, never throws). */
  async handle(request: RequestMessage): Promise<void> {
    try {
      const value = await this.dispatch(request);
      const transfer = transferOf(request.type, value);
      this.post({ type: 'reply', id: request.id, ok: true, value }, transfer);
    } catch (error) {
      this.post({ type: 'reply', id: request.id, ok: false, error: errorMessage(error) });
    }
  }

  private dispatch(request: RequestMessage): Promise<ReplyValues[keyof ReplyValues]> {
    switch (request.type) {
      case 'configure':
        return this.configure(request.backend, request, request.seed);
      case 'start':
        return this.start();
      case 'pause':
        return this.pause();
      case 'greedy-episode':
        return this.greedyEpisode(request.seed);
      case 'env-snapshot':
        return this.envSnapshot();
      case 'get-weights':
        return this.getWeights();
      case 'load-weights':
        return this.loadWeights(request.bytes, request.fileName);
      case 'conformance':
        return this.conformance();
      case 'load-env-module':
        return this.loadEnvModule(request.source);
    }
  }

  /** Runs `fn` when no training slice or other request is using the agent. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn);
    this.lock = result.catch(() => undefined);
    return result;
  }

  private get trainer(): Trainer<BaseConfig, unknown> | null {
    return this.run?.trainer ?? null;
  }

  private requireRun(): SessionRun {
    if (!this.run) throw new Error('no run configured yet');
    return this.run;
  }

  private requireTrainer(): Trainer<BaseConfig, unknown> {
    return this.requireRun().trainer;
  }

  /**
   * Opens the backend (WebGPU falls back to the CPU with the reason) and starts a fresh run of
   * `run.algo` with `run.config`, checked first by that algorithm's schema (a message's config is
   * data: a wrong or missing field is refused, naming it, and nothing changes).
   */
  async configure(kind: BackendKind, run: { algo: string; config: unknown }, seed: number): Promise<BackendInfo> {
    return withAlgorithm(run.algo, <C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>) => {
      if (typeof run.config !== 'object' || run.config === null) throw new InvalidArgumentError(`configure: no ${entry.name} config given`);
      // Checked field by field against the entry's schema: from here on it is a C.
      const config = run.config as C;
      validateWithSchema(entry.config, config);
      return this.configureRun(entry, kind, config, seed).then(() => this.backendInfo as BackendInfo);
    });
  }

  /** Replaces the run with a fresh one of `entry` (the backend reopened only when its kind changes); resolves with its trainer. */
  private async configureRun<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, kind: BackendKind, config: C, seed: number): Promise<Trainer<C, S>> {
    await this.pause();
    return this.exclusive(async () => {
      this.run?.trainer.dispose();
      this.run = null;
      if (this.backend === null || this.backendInfo?.requested !== kind) {
        this.backend?.destroy();
        this.backend = null;
        const { backend, info } = await openPageBackend(kind, (text) => this.post({ type: 'status', text }));
        this.backend = backend;
        this.backendInfo = info;
      }
      this.post({ type: 'status', text: `setting up the ${entry.name.toUpperCase()} run…` });
      const trainer = entry.createTrainer(this.backend, config, seed, {
        onEpisode: (log) => {
          this.episodesOut.push(log);
        },
        onEvaluation: (log) => {
          this.evaluationsOut.push(log);
        },
      });
      this.run = sessionRun(entry, trainer);
      this.episodesOut = [];
      this.evaluationsOut = [];
      this.rateSamples = [];
      this.activeMs = 0;
      this.workAtStart = this.work();
      this.postProgress();
      return trainer;
    });
  }

  /** Starts (or resumes) training in slices; resolves at once with the counters. */
  async start(): Promise<TrainingCounters> {
    const trainer = this.requireTrainer();
    if (!this.running && !trainer.done) {
      this.running = true;
      this.rateSamples = [];
      this.loopDone = this.trainingLoop(trainer);
    }
    return this.counters();
  }

  /** Stops at the end of the current step; resolves once training has stopped. */
  async pause(): Promise<TrainingCounters> {
    this.running = false;
    await this.loopDone;
    return this.counters();
  }

  private async trainingLoop(trainer: Trainer<BaseConfig, unknown>): Promise<void> {
    try {
      let starting = trainer.steps === 0;
      if (starting) this.post({ type: 'status', text: this.backend instanceof WebGpuBackend ? 'first step: compiling the GPU pipelines it uses…' : 'first step…' });
      while (this.running && !trainer.done && this.trainer === trainer) {
        await this.exclusive(async () => {
          const sliceStart = performance.now();
          const sliceEnd = sliceStart + this.sliceMs;
          // Until the first env step, one call per slice: the page hears of it as soon as it happens.
          while (this.running && !trainer.done && performance.now() < sliceEnd && !(starting && trainer.steps > 0)) {
            await trainer.run(1);
            this.serveSnapshots();
          }
          this.activeMs += performance.now() - sliceStart;
        });
        if (starting && trainer.steps > 0) {
          starting = false;
          this.post({ type: 'started', report: startReport(this.backend) });
        }
        this.postProgress();
        await yieldToEventLoop();
      }
    } catch (error) {
      this.post({ type: 'notice', level: 'error', text: `training stopped: ${errorMessage(error)}` });
    } finally {
      this.running = false;
      this.serveSnapshots();
      if (this.trainer === trainer) this.postProgress();
    }
  }

  /**
   * The first training env's state for the canvas (the page's render loop asks, at most once per
   * animation frame). While training it is taken at the next iteration boundary, never inside an
   * iteration; otherwise at once.
   */
  envSnapshot(): Promise<EnvSnapshot | null> {
    if (!this.running) return this.exclusive(() => this.takeSnapshot());
    return new Promise((resolve, reject) => this.snapshotWaiters.push({ resolve, reject }));
  }

  /**
   * Starts the snapshot the waiting requests asked for, between two iterations. It does not wait for
   * it: device envs record the read at once (FirstEnvProbe), so the next iteration is recorded while
   * the read back is on its way.
   */
  private serveSnapshots(): void {
    if (this.snapshotWaiters.length === 0) return;
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = [];
    this.takeSnapshot().then(
      (snapshot) => {
        for (const w of waiters) w.resolve(snapshot);
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
  }

  /**
   * Env 0 now: the host env's internal state, or env 0's column of the device envs' state (one
   * dispatch recorded before this returns, then one small read back). Null before the first step.
   */
  private takeSnapshot(): Promise<EnvSnapshot | null> {
    const t = this.trainer;
    if (!t || t.steps === 0) return Promise.resolve(null);
    const envId = t.config.env;
    const episode = t.episodes + 1;
    const onDevice = t.deviceEnvInProgress?.() ?? Promise.resolve(null);
    return onDevice.then((live) => {
      if (live) return { envId, state: live.state, episodeStep: live.episodeStep, episode };
      const env0 = t.envs.envs[0];
      const state = captureEnvState(env0);
      if (state) return { envId, state, episodeStep: t.envs.episodeStep(0), episode };
      // A custom env has no internal state to load into a twin: its own frame, when it renders.
      const frame = env0.renderMode === 'rgb_array' ? copiedFrame(env0, 'render()') : null;
      return frame && { envId, state: [], frame, episodeStep: t.envs.episodeStep(0), episode };
    });
  }

  /** The counters of the current run (zeros before the first configure). */
  counters(): TrainingCounters {
    const t = this.trainer;
    const now = performance.now();
    const samples = this.rateSamples;
    // While running: rates over the last window; when paused or done: the run's average over its training time.
    let stepsPerSecond = 0;
    let updatesPerSecond = 0;
    if (t && this.running) {
      samples.push({ time: now, steps: t.steps, updates: t.updates });
      while (samples.length > 2 && now - samples[1].time >= this.rateWindowMs) samples.shift();
      const first = samples[0];
      const seconds = (now - first.time) / 1000;
      if (seconds > 0) {
        stepsPerSecond = (t.steps - first.steps) / seconds;
        updatesPerSecond = (t.updates - first.updates) / seconds;
      }
    } else if (t && this.activeMs > 0) {
      stepsPerSecond = t.steps / (this.activeMs / 1000);
      updatesPerSecond = t.updates / (this.activeMs / 1000);
    }
    return {
      steps: t?.steps ?? 0,
      episodes: t?.episodes ?? 0,
      updates: t?.updates ?? 0,
      epsilon: t?.epsilon ?? 1,
      loss: t?.lastLoss ?? Number.NaN,
      meanReturn100: t?.meanReturn100 ?? Number.NaN,
      stepsPerSecond,
      updatesPerSecond,
      work: this.work(this.workAtStart),
      done: t?.done ?? false,
      running: this.running,
    };
  }

  /** The backend's work counters (zeros before a backend is open), less `since`'s. */
  private work(since: TrainingCounters['work'] = { readbacks: 0, submits: 0, dispatches: 0 }): TrainingCounters['work'] {
    const s = this.backend?.stats();
    if (!s) return { readbacks: 0, submits: 0, dispatches: 0 };
    return { readbacks: s.readbacks - since.readbacks, submits: s.submits - since.submits, dispatches: s.dispatches - since.dispatches };
  }

  private postProgress(): void {
    this.post({ type: 'progress', counters: this.counters(), episodes: this.episodesOut, evaluations: this.evaluationsOut });
    this.episodesOut = [];
    this.evaluationsOut = [];
  }

  /** Pauses training and plays one greedy episode of the current weights, recording every state. */
  async greedyEpisode(seed: number): Promise<GreedyEpisode> {
    const wasRunning = this.running;
    await this.pause();
    if (wasRunning) this.post({ type: 'notice', level: 'info', text: 'training paused to play a greedy episode' });
    return this.exclusive(async () => {
      const trainer = this.requireTrainer();
      // Discrete or Box: the trainer's policy plays its own kind of action (GreedyPolicy.actionBounds).
      const env = make(trainer.config.env);
      const states: number[] = [];
      let stateSize = 0;
      let calls = 0;
      // A custom env that renders: its frames (up to GREEDY_FRAME_CAP and GREEDY_FRAME_BYTES_CAP), as it has no state for a twin.
      const frames: RgbFrame[] = [];
      let frameBytes = 0;
      const [ret] = await evaluateGreedy(trainer.policy, env, 1, seed, (e) => {
        calls++;
        const s = captureEnvState(e);
        if (s) {
          stateSize = s.length;
          states.push(...s);
        } else if (e.renderMode === 'rgb_array' && frames.length < GREEDY_FRAME_CAP && frameBytes < GREEDY_FRAME_BYTES_CAP) {
          const frame = copiedFrame(e, 'render() in the greedy episode');
          frameBytes += frame.data.length;
          if (frameBytes <= GREEDY_FRAME_BYTES_CAP) frames.push(frame);
        }
      });
      env.close();
      return { envId: trainer.config.env, seed, return: ret, length: calls - 1, states: Float64Array.from(states), stateSize, frames: concatenatedFrames(frames) };
    });
  }

  /**
   * The current policy weights (the trainer's policy: DQN's online network or its average, PQN's
   * network) as a CLI-compatible .npz recording the network (entry.architecture).
   */
  getWeights(): Promise<ReplyValues['get-weights']> {
    return this.exclusive(async () =>
      this.requireRun().use(async (entry, trainer) => {
        const bytes = await trainer.weightsFile(await trainer.policy.getWeights());
        return { bytes, hidden: entry.architecture(trainer.config).hidden, algo: checkAlgorithmName(entry.name) };
      }),
    );
  }

  /**
   * Loads a CLI-written .npz into the online and target networks. The whole file is read and
   * checked first (zip CRCs, shapes, finite values, the network it records), so a corrupt or
   * mismatched file changes nothing and its error reaches the page. When the file's network
   * (recorded, or its widths inferred from the W shapes) differs from the run's, a fresh run with
   * that network is configured. A network the run's algorithm cannot train (a PQN file's
   * LayerNorm network in a DQN run, say: entry.architectureProblem) is refused with the reason and
   * the algorithm to choose, changing nothing.
   */
  async loadWeights(bytes: Uint8Array, fileName: string): Promise<ReplyValues['load-weights']> {
    return this.requireRun().use(async (entry, current) => {
      // The file decides the network; the run keeps its env (the file's must have its sizes).
      const { arrays, network } = resolveWeightsNetwork(readWeightsFile(bytes, fileName), fileName, networkOf(entry, current.config), (key) => key === 'env');
      const problem = entry.architectureProblem(network);
      if (problem !== null) {
        const others = ALGORITHM_NAMES.filter((name) => name !== entry.name && ALGORITHMS[name].architectureProblem(network) === null);
        const choose = others.length > 0 ? `; choose ${others.join(' or ')} in the Algorithm menu to load it` : '';
        throw new InvalidArgumentError(`${fileName}: ${entry.name} cannot train its network: it ${problem}${choose}`);
      }
      const wanted = entry.withNetwork(current.config, network);
      const before = entry.architecture(current.config);
      const after = entry.architecture(wanted);
      const restarted = RECORDED_NETWORK_FIELDS.some((key) => !sameValue(after[key], before[key]));
      let trainer = current;
      if (restarted) trainer = await this.configureRun(entry, this.backendInfo?.requested ?? 'auto', wanted, current.seed);
      else await this.pause();
      return this.exclusive(async () => {
        if (this.run?.trainer !== trainer) throw new Error(`${fileName}: the run was replaced while the weights were loading; load them again`);
        trainer.loadWeights(arrays);
        return { hidden: [...entry.architecture(trainer.config).hidden], restarted, run: runConfigOf(entry, trainer.config) };
      });
    });
  }

  /**
   * Imports a custom env module (a URL on the page's origin, or pasted source imported from a blob:
   * URL), checks its exports (env-module-exports.ts, the CLI's rule) and runs checkEnv on a fresh
   * instance, posting `env-check-phase` as the call into the env changes (the page names the one
   * that never returns). Without error findings the env is registered here (every instance built
   * for frames when it renders them: renderingEntryPoint); with them, nothing is. Training is
   * paused first.
   */
  async loadEnvModule(source: EnvModuleSource): Promise<LoadedEnvModule> {
    await this.pause();
    return this.exclusive(async () => {
      let current: EnvCheckPhase | null = null;
      const enter = (phase: EnvCheckPhase): void => {
        if (phase === current) return;
        current = phase;
        this.post({ type: 'env-check-phase', phase });
      };
      enter('import');
      const shown = source.kind === 'url' ? source.url : PASTED_MODULE_NAME;
      let module;
      if (source.kind === 'url') {
        if (this.pageUrl === null) throw new InvalidArgumentError(`env module '${shown}': this session has no page URL to compare origins with`);
        const url = sameOriginModuleUrl(source.url, this.pageUrl);
        module = await importEnvModuleAt(url, shown, defaultIdOfUrl(url));
      } else {
        const url = URL.createObjectURL(new Blob([source.text], { type: 'text/javascript' }));
        try {
          module = await importEnvModuleAt(url, shown, PASTED_MODULE_DEFAULT_ID);
        } finally {
          URL.revokeObjectURL(url);
        }
      }
      if (isRegisteredEnv(module.id) && !this.moduleIds.has(module.id)) {
        throw new InvalidArgumentError(`env module '${shown}': its id '${module.id}' is a built-in env's; export another id`);
      }
      const check = checkEnvModuleTraced(module, shown, 0, enter);
      const registered = !check.findings.some((f) => f.level === 'error');
      if (registered) {
        register({
          id: module.id,
          entryPoint: check.rendersFrames ? renderingEntryPoint(module.entryPoint, shown) : module.entryPoint,
          maxEpisodeSteps: module.maxEpisodeSteps,
          rewardThreshold: module.rewardThreshold,
        });
        this.moduleIds.add(module.id);
      }
      return {
        id: module.id,
        shown,
        maxEpisodeSteps: module.maxEpisodeSteps,
        rewardThreshold: module.rewardThreshold,
        findings: check.findings,
        registered,
        rendersFrames: check.rendersFrames,
        observationSpace: plainBox(check.observationSpace),
        actionSpace: plainSpace(check.actionSpace),
      };
    });
  }

  /** The fixed conformance cases on this session's backend (training is paused first). */
  async conformance(): Promise<ReplyValues['conformance']> {
    await this.pause();
    return this.exclusive(async () => {
      if (!this.backend) throw new Error('no backend opened yet');
      return runConformanceCases(this.backend);
    });
  }

  /** Releases the trainer and the backend. */
  async dispose(): Promise<void> {
    await this.pause();
    await this.exclusive(async () => {
      this.run?.trainer.dispose();
      this.run = null;
      this.backend?.destroy();
      this.backend = null;
    });
  }
}

/** The buffers a reply hands over instead of copying: a weights file, a custom env's frame or frames. */
function transferOf(type: RequestMessage['type'], value: unknown): ArrayBuffer[] {
  if (type === 'get-weights') return [(value as ReplyValues['get-weights']).bytes.buffer as ArrayBuffer];
  if (type === 'env-snapshot') {
    const frame = (value as ReplyValues['env-snapshot'])?.frame;
    return frame ? [frame.data.buffer as ArrayBuffer] : [];
  }
  if (type === 'greedy-episode') {
    const frames = (value as ReplyValues['greedy-episode']).frames;
    return frames ? [frames.data.buffer as ArrayBuffer] : [];
  }
  return [];
}

/** A copy of the env's current frame (the env may reuse its buffer; the copy is transferred); `what` names the call in errors. */
function copiedFrame(env: Env<ActionSpace>, what: string): RgbFrame {
  const frame = env.render();
  if (!frame || !Number.isInteger(frame.width) || !Number.isInteger(frame.height) || frame.width < 1 || frame.height < 1 || frame.data?.length !== frame.width * frame.height * 4) {
    throw new InvalidArgumentError(`env '${env.spec?.id ?? env.toString()}': ${what} gave no RGBA frame (expected { width, height, data } with width * height * 4 bytes)`);
  }
  return { width: frame.width, height: frame.height, data: new Uint8ClampedArray(frame.data) };
}

/** Frames of one size concatenated (a greedy episode's), or null when there are none. */
function concatenatedFrames(frames: RgbFrame[]): GreedyEpisode['frames'] {
  if (frames.length === 0) return null;
  const { width, height } = frames[0];
  const size = width * height * 4;
  const data = new Uint8ClampedArray(size * frames.length);
  frames.forEach((frame, i) => {
    if (frame.width !== width || frame.height !== height) throw new InvalidArgumentError(`greedy episode: frame ${i} is ${frame.width} x ${frame.height}, the first was ${width} x ${height}`);
    data.set(frame.data, i * size);
  });
  return { width, height, count: frames.length, data };
}

/**
 * An entry point that builds every instance for frames (`renderMode: 'rgb_array'`, whatever make
 * asks: the trainers make their envs without frames), so the canvas can draw env 0's frames and a
 * greedy episode record its own; a frame is made only when asked for. A plain object that keeps no
 * `renderMode` of its own is given one, so adaptEnv knows it was built for frames.
 */
function renderingEntryPoint(entryPoint: EnvEntryPoint, shown: string): EnvEntryPoint {
  return (options) => {
    const built = buildFromEntryPoint(entryPoint, { ...options, renderMode: 'rgb_array' }, `the default export of '${shown}'`) as { renderMode?: unknown };
    if (!(built instanceof Env) && built.renderMode === undefined) built.renderMode = 'rgb_array';
    return built;
  };
}

/** A Box as plain data (postMessage keeps no class). */
function plainBox(box: Box): PlainSpace & { shape: number[] } {
  return { shape: [...box.shape], low: Array.from(box.low), high: Array.from(box.high) };
}

function plainSpace(space: ActionSpace): PlainSpace {
  return isBox(space) ? plainBox(space) : { n: space.n, start: space.start };
}

/** The GPU pipelines built so far and the kernels dispatched (each built once), or nulls on the CPU backend. */
function startReport(backend: Backend | null): StartReport {
  if (!(backend instanceof WebGpuBackend)) return { gpuPipelines: null, kernelsDispatched: null };
  // Recorded work is submitted first: a dispatch held back by the recorder builds its pipeline then.
  backend.flush();
  const dispatched = Object.values(backend.kernelDispatches()).filter((n) => n > 0).length;
  return { gpuPipelines: backend.gpuObjectsCreated().pipelines, kernelsDispatched: dispatched };
}

/** The network a config trains on its env, as resolveWeightsNetwork and weights files take it. */
function networkOf<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, config: C): NetworkFields {
  return { env: config.env, ...entry.architecture(config) };
}

/**
 * The page's backend for `kind`, with what the page shows about it (its description, and why the
 * CPU is used where WebGPU was wanted). 'cpu' opens the CPU backend; 'webgpu' uses any WebGPU adapter, SwiftShader included, falling back
 * to the CPU only without one; 'auto' follows the CLI's rule (createBackend('auto')): WebGPU on a
 * hardware adapter, else the CPU backend, which trains faster than a software adapter, saying why.
 * The CPU backend runs the WASM SIMD kernels (with FMA: Chrome has relaxed SIMD) where the browser
 * has WebAssembly SIMD, else the TypeScript kernels; its description names them. `onStatus` hears
 * what opening a WebGPU backend is doing (the page's status line).
 */
export async function openPageBackend(kind: BackendKind, onStatus: (text: string) => void = () => {}): Promise<{ backend: Backend; info: BackendInfo }> {
  let fallbackReason: string | null = null;
  if (kind === 'webgpu') {
    try {
      const backend = await createBackend('webgpu', { webgpu: { onStatus } });
      return { backend, info: backendInfo(backend, kind, null) };
    } catch (error) {
      fallbackReason = errorMessage(error).split('\n')[0];
    }
  } else if (kind === 'auto') {
    const backend = await createBackend('auto', { webgpu: { onStatus }, onNotice: (_message, reason) => (fallbackReason = reason) });
    // onNotice is called only when 'auto' falls back to the CPU.
    return { backend, info: backendInfo(backend, kind, fallbackReason) };
  }
  const backend = new CpuBackend();
  return { backend, info: backendInfo(backend, kind, fallbackReason) };
}

function backendInfo(backend: Backend, requested: BackendKind, fallbackReason: string | null): BackendInfo {
  return { name: backend.name, requested, description: backend.describe(), fallbackReason };
}
