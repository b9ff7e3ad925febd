/**
 * The page controller: wires the settings form, the buttons, the canvas, the counters and the
 * learning curve to the training worker. Everything numeric happens in the worker; this module
 * only sends requests and draws what comes back.
 */
import type { BackendKind } from '../backend/create-backend.js';
import { envSpec } from '../envs/registry.js';
import { ENV_CHECK_TIMEOUT_S, describeEnvCheckPhase, type EnvCheckPhase } from '../envs/traced-env-check.js';
import { errorMessage } from '../errors.js';
import { ALGORITHMS, ALGORITHM_NAMES, DEFAULT_ALGORITHM, checkAlgorithmName, withAlgorithm, type AlgorithmEntry, type AlgorithmName } from '../rl/algorithms.js';
import { schemaKeys } from '../rl/config-schema.js';
import type { BaseConfig, BaseState } from '../rl/trainer.js';
import { ConfigForm, fieldId } from './config-form.js';
import { registerDescribedEnv } from './described-env.js';
import { CUSTOM_ENV_CHOICE, PASTED_MODULE_NAME, sameOriginModuleUrl, type EnvModuleSource } from './env-module-source.js';
import { EnvStateRenderer, renderFps } from './env-view.js';
import { LearningChart } from './learning-chart.js';
import { GREEDY_FRAME_BYTES_CAP, GREEDY_FRAME_CAP, type BackendInfo, type EnvSnapshot, type GreedyEpisode, type LoadedEnvModule, type RunConfig, type StartReport, type TrainingCounters, type WorkerMessage } from './protocol.js';
import { RequestTimeoutError, WorkerClient } from './worker-client.js';
import type { ConformanceResult } from './conformance-case.js';

/** What the run is doing, as the status pill shows it. */
export type Phase = 'starting' | 'ready' | 'training' | 'paused' | 'finished' | 'busy';

/** The latest run's start: the worker's report and the seconds from Start to its first env step. */
export interface PageStart extends StartReport {
  seconds: number;
}

/** Hooks for automated tests, on `window.webRl`. */
export interface PageTestHooks {
  /** Resolves once the first backend is open. */
  ready: Promise<BackendInfo>;
  /** Runs the fixed conformance cases on the page's backend (in the worker). */
  conformance(): Promise<ConformanceResult>;
  /** The latest counters, phase and chart size, the training snapshots drawn on the canvas since the run was set up, and the start's report. */
  state(): {
    phase: Phase;
    counters: TrainingCounters | null;
    chartPoints: number;
    backend: BackendInfo | null;
    greedy: Omit<GreedyEpisode, 'states' | 'frames'> | null;
    canvasFrames: number;
    start: PageStart | null;
    /** The size of the last frame drawn on the canvas (a custom env's own size), or null before any. */
    lastFrameSize: { width: number; height: number } | null;
    /** The custom env module the current worker has loaded (its id and checkEnv's findings), or null. */
    customEnv: Pick<LoadedEnvModule, 'id' | 'shown' | 'findings' | 'rendersFrames' | 'registered'> | null;
    /** Training workers started so far (1, plus one for every worker replaced after a custom env did not return). */
    workersStarted: number;
  };
}


declare global {
  interface Window {
    webRl?: PageTestHooks;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page: no #${id}`);
  return element as T;
}

/** Playback speed of a custom env's greedy episode, in frames per second (the contract has no render_fps). */
const CUSTOM_ENV_FPS = 20;

function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The latest loss: '–' before the first update, 'NaN' or '±Infinity' for a diverged one. */
function formatLoss(value: number, updates: number): string {
  if (updates === 0) return '–';
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 0.01 ? value.toFixed(4) : value.toExponential(2);
}

/** The algorithm chosen in the menu: its form and presets, with its config type kept inside. */
interface AlgorithmView {
  readonly name: AlgorithmName;
  readonly presetNames: readonly string[];
  /** The preset a run of `env` on `backend` starts from (entry.presetFor). */
  presetFor(env: string, backend: string): string;
  /** Fills the form from preset `name`, its env replaced by `env` when given. */
  fillPreset(name: string, env?: string): void;
  /** Fills the form from a run of this algorithm. */
  fill(run: RunConfig): void;
  /** The form's config with this algorithm; throws naming the bad field by its label. */
  read(): RunConfig;
  /** Whether the form differs from preset `name` (or cannot be read). */
  differsFrom(name: string): boolean;
  /** The env the form's menu shows. */
  env(): string;
  setDisabled(disabled: boolean): void;
}

/** Builds algorithm `name`'s form (from its entry's schema) into `main` and `more`, replacing what they held. */
function algorithmView(name: AlgorithmName, main: HTMLElement, more: HTMLElement): AlgorithmView {
  return withAlgorithm(name, <C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>): AlgorithmView => {
    const form = new ConfigForm(entry.config, main, more);
    // `entry` is the registry's entry named `name`, so its config is that variant's.
    const runOf = (config: C) => ({ algo: name, config }) as unknown as RunConfig;
    return {
      name,
      presetNames: entry.presetNames,
      presetFor: (env, backend) => entry.presetFor(env, backend),
      fillPreset: (presetName, env) => form.fill(env === undefined ? entry.preset(presetName) : { ...entry.preset(presetName), env }),
      fill: (run) => {
        if (run.algo !== name) throw new Error(`page: a ${run.algo} config for the ${name} form`);
        form.fill(run.config as unknown as C);
      },
      read: () => runOf(form.read()),
      differsFrom: (presetName) => {
        let shown: C;
        try {
          shown = form.read();
        } catch {
          return true;
        }
        const chosen = entry.preset(presetName);
        return schemaKeys(entry.config.fields).some((key) => JSON.stringify(shown[key]) !== JSON.stringify(chosen[key]));
      },
      env: () => form.shown('env'),
      setDisabled: (disabled) => form.setDisabled(disabled),
    };
  });
}

export class App {
  private client: WorkerClient;
  private workersStarted = 0;
  /** Custom envs loaded by this page (in some worker), by id: what the worker reported of each. */
  private readonly customEnvs = new Map<string, LoadedEnvModule>();
  /** The module the current worker has registered: its source (as sent) and what came back. */
  private loadedModule: { key: string; loaded: LoadedEnvModule } | null = null;
  /** What the worker said loading a custom env module was calling last. */
  private checkPhase: EnvCheckPhase = 'import';
  private lastFrameSize: { width: number; height: number } | null = null;
  /** A canvas holding a frame of another size than the stage's, drawn scaled onto it. */
  private frameCanvas: HTMLCanvasElement | null = null;
  private view: AlgorithmView;
  private readonly chart: LearningChart;
  private readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private renderer: EnvStateRenderer | null = null;
  private phase: Phase = 'starting';
  private counters: TrainingCounters | null = null;
  private backend: BackendInfo | null = null;
  private formDirty = false;
  /** The run the worker has (or is opening): its algorithm and config. */
  private run: RunConfig;
  /** Latest training snapshot not yet drawn. */
  private pendingSnapshot: EnvSnapshot | null = null;
  /** Whether an env-snapshot request is out (at most one), and the env steps when it was asked. */
  private snapshotInFlight = false;
  private snapshotSteps = 0;
  /** Bumped by every fresh run's view, so a snapshot of the run before is dropped. */
  private viewGeneration = 0;
  private canvasFrames = 0;
  private playback: { episode: GreedyEpisode; startedAt: number; fps: number; lastFrame: number } | null = null;
  private lastGreedy: Omit<GreedyEpisode, 'states' | 'frames'> | null = null;
  /** What the worker says it is doing (the status line shows it until the phase settles), or null. */
  private statusText: string | null = null;
  /** When Start was pressed on a run without steps yet (cleared at its first step). */
  private startPressedAt: number | null = null;
  private lastStart: PageStart | null = null;
  readonly hooks: PageTestHooks;

  constructor() {
    this.chart = new LearningChart(byId('chart'));
    this.canvas = byId<HTMLCanvasElement>('env-canvas');
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('page: no 2d canvas context');
    this.context = context;

    // The algorithm menu and its presets come from the registry (rl/algorithms.ts), as the CLI's --algo.
    const algoSelect = byId<HTMLSelectElement>('algo');
    for (const name of ALGORITHM_NAMES) {
      const option = new Option(name, name);
      option.title = ALGORITHMS[name].summary;
      algoSelect.append(option);
    }
    algoSelect.value = DEFAULT_ALGORITHM;
    this.view = this.showAlgorithm(DEFAULT_ALGORITHM, null);
    this.run = this.view.read();

    this.client = this.startWorker();
    this.bindControls();
    const ready = this.configure();
    ready.catch((error: unknown) => this.showNotice(`could not start: ${errorMessage(error)}`, 'error'));
    this.hooks = {
      ready,
      conformance: () => this.client.request({ type: 'conformance' }),
      state: () => ({
        phase: this.phase,
        counters: this.counters,
        chartPoints: this.chart.points,
        backend: this.backend,
        greedy: this.lastGreedy,
        canvasFrames: this.canvasFrames,
        start: this.lastStart,
        lastFrameSize: this.lastFrameSize,
        customEnv: this.loadedModule && {
          id: this.loadedModule.loaded.id,
          shown: this.loadedModule.loaded.shown,
          findings: this.loadedModule.loaded.findings,
          rendersFrames: this.loadedModule.loaded.rendersFrames,
          registered: this.loadedModule.loaded.registered,
        },
        workersStarted: this.workersStarted,
      }),
    };
    requestAnimationFrame((t) => this.animate(t));
  }

  /** Starts a training worker and the client that talks to it. */
  private startWorker(): WorkerClient {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.workersStarted++;
    return new WorkerClient(worker, {
      onProgress: (message) => this.onProgress(message),
      onNotice: (message) => this.showNotice(message.text, message.level),
      onStatus: (message) => this.showStatus(message.text),
      onStarted: (message) => this.onStarted(message.report),
      onEnvCheckPhase: (message) => {
        this.checkPhase = message.phase;
      },
    });
  }

  /**
   * Stops a worker stuck in a custom env's code and starts a fresh one: its run, backend and
   * loaded module are gone, so the next Start sets everything up again.
   */
  private replaceWorker(reason: string): void {
    // Requests still out on the old worker reject now: the generation bump keeps their errors off the page.
    this.viewGeneration++;
    this.client.dispose(reason);
    this.client = this.startWorker();
    this.loadedModule = null;
    this.counters = null;
    this.formDirty = true;
    this.playback = null;
  }

  /** Whether `env` (the env menu's value) is "Custom module…" or an env a custom module registered. */
  private isCustomChoice(env: string): boolean {
    return env === CUSTOM_ENV_CHOICE || this.customEnvs.has(env);
  }

  /** The env menu of the form shown. */
  private envSelect(): HTMLSelectElement {
    return byId<HTMLSelectElement>(fieldId('env'));
  }

  /** Adds "Custom module…" to the env menu (the custom envs loaded so far are registered ids: the form lists them). */
  private addCustomEnvChoice(): void {
    const select = this.envSelect();
    if (![...select.options].some((o) => o.value === CUSTOM_ENV_CHOICE)) select.append(new Option('Custom module…', CUSTOM_ENV_CHOICE));
  }

  /** Shows the custom env panel while the env menu shows a custom choice. */
  private showCustomPanel(): void {
    byId('custom-env').hidden = !this.isCustomChoice(this.view.env());
  }

  /** Fills the form from preset `name`, keeping a custom env the menu shows (presets name built-in envs). */
  private fillPreset(name: string): void {
    const env = this.view.env();
    this.view.fillPreset(name, this.isCustomChoice(env) ? env : undefined);
    this.showCustomPanel();
  }

  /** The module the custom env panel names: the URL (same origin only: refused here, saying why) or the pasted source. */
  private customSource(): EnvModuleSource {
    if (byId<HTMLInputElement>('custom-env-from-text').checked) {
      const text = byId<HTMLTextAreaElement>('custom-env-source').value;
      if (text.trim() === '') throw new Error('custom env: the module source is empty; paste an ES module whose default export is the env class or factory');
      return { kind: 'text', text };
    }
    return { kind: 'url', url: sameOriginModuleUrl(byId<HTMLInputElement>('custom-env-url').value, location.href) };
  }

  /**
   * When the env menu shows a custom choice: has the worker import the panel's module, check it
   * (checkEnv) and register it, unless it already has this very module; lists the findings; sets
   * the env menu to its id. Error findings stop here (nothing trains). A worker that does not
   * answer within ENV_CHECK_TIMEOUT_S is replaced, naming the call that did not return.
   */
  private async prepareCustomEnv(): Promise<void> {
    const select = this.envSelect();
    if (!this.isCustomChoice(select.value)) return;
    const source = this.customSource();
    const key = JSON.stringify(source);
    if (this.loadedModule?.key === key && this.loadedModule.loaded.registered) {
      select.value = this.loadedModule.loaded.id;
      return;
    }
    const shown = source.kind === 'url' ? source.url : PASTED_MODULE_NAME;
    this.setPhase('busy');
    this.showStatus(`checking env module '${shown}' (checkEnv, in the training worker)…`);
    this.showFindings(null);
    this.checkPhase = 'import';
    let loaded: LoadedEnvModule;
    try {
      loaded = await this.client.request({ type: 'load-env-module', source }, [], { timeoutS: ENV_CHECK_TIMEOUT_S });
    } catch (error) {
      if (!(error instanceof RequestTimeoutError)) throw error;
      const stuck = describeEnvCheckPhase(this.checkPhase);
      this.replaceWorker(`${stuck} did not return`);
      throw new Error(
        `env module '${shown}': ${stuck} did not return within ${ENV_CHECK_TIMEOUT_S} s while checkEnv ran it (an endless loop?); the training worker was stopped and a new one started, and nothing was trained. Fix the env, or choose another env`,
      );
    }
    this.loadedModule = { key, loaded };
    this.showFindings(loaded);
    const errors = loaded.findings.filter((f) => f.level === 'error');
    if (!loaded.registered) {
      throw new Error(`env module '${shown}' (env '${loaded.id}') fails checkEnv with ${errors.length} error${errors.length === 1 ? '' : 's'} (listed under the module); nothing was trained`);
    }
    registerDescribedEnv(loaded);
    this.customEnvs.set(loaded.id, loaded);
    if (![...select.options].some((o) => o.value === loaded.id)) select.insertBefore(new Option(loaded.id, loaded.id), select.querySelector(`option[value="${CUSTOM_ENV_CHOICE}"]`));
    select.value = loaded.id;
  }

  /** Lists checkEnv's findings under the custom env panel (each finding's message), or clears them. */
  private showFindings(loaded: LoadedEnvModule | null): void {
    const list = byId('custom-env-findings');
    list.replaceChildren();
    if (loaded === null) {
      list.hidden = true;
      return;
    }
    const items = loaded.findings.map((f) => {
      const item = document.createElement('li');
      item.dataset.level = f.level;
      item.textContent = `${f.level}: ${f.message}`;
      return item;
    });
    if (items.length === 0) {
      const item = document.createElement('li');
      item.dataset.level = 'ok';
      item.textContent = `checkEnv found nothing wrong with '${loaded.id}'`;
      items.push(item);
    }
    list.append(...items);
    list.hidden = false;
  }

  /**
   * Shows algorithm `name` in the menus and the form: its presets, its schema's form, filled from
   * the preset its entry picks for `env` (the env the form showed; null: its first preset's env)
   * on the backend the menu asks for.
   */
  private showAlgorithm(name: AlgorithmName, env: string | null): AlgorithmView {
    const view = algorithmView(name, byId('main-fields'), byId('more-fields'));
    this.view = view;
    this.addCustomEnvChoice();
    const presetSelect = byId<HTMLSelectElement>('preset');
    presetSelect.replaceChildren(...view.presetNames.map((presetName) => new Option(presetName, presetName)));
    const forEnv = env ?? ALGORITHMS[name].preset(view.presetNames[0]).env;
    const presetName = view.presetFor(forEnv, this.presetBackend());
    presetSelect.value = presetName;
    view.fillPreset(presetName, forEnv);
    byId('algo-title').textContent = name.toUpperCase();
    this.showCustomPanel();
    return view;
  }

  /** The backend presets are picked for: the menu's, or for 'auto' the one open (the CPU before any). */
  private presetBackend(): 'cpu' | 'webgpu' {
    const kind = byId<HTMLSelectElement>('backend').value;
    if (kind === 'webgpu' || kind === 'cpu') return kind;
    return this.backend?.name ?? 'cpu';
  }

  private bindControls(): void {
    // Choosing an algorithm rebuilds the form from its schema and fills it from its preset for the form's env.
    byId<HTMLSelectElement>('algo').addEventListener('change', (event) => {
      this.showAlgorithm(checkAlgorithmName((event.target as HTMLSelectElement).value), this.view.env());
      this.formDirty = true;
    });
    byId<HTMLSelectElement>('preset').addEventListener('change', (event) => {
      this.fillPreset((event.target as HTMLSelectElement).value);
      this.formDirty = true;
    });
    byId('main-fields').addEventListener('change', () => this.showCustomPanel());
    // Typing in one of the custom env fields chooses it; any edit sets the run up again at Start.
    for (const [field, radio] of [
      ['custom-env-url', 'custom-env-from-url'],
      ['custom-env-source', 'custom-env-from-text'],
    ]) {
      byId(field).addEventListener('input', () => {
        byId<HTMLInputElement>(radio).checked = true;
        this.formDirty = true;
      });
    }
    for (const radio of ['custom-env-from-url', 'custom-env-from-text']) byId(radio).addEventListener('change', () => (this.formDirty = true));
    // A GPU acts on many envs at once: choosing WebGPU switches to the algorithm's preset for it
    // (as the CLI's --backend webgpu does), and back for the CPU, unless another preset was chosen.
    byId<HTMLSelectElement>('backend').addEventListener('change', (event) => {
      const kind = (event.target as HTMLSelectElement).value;
      this.suggestPreset(kind === 'webgpu' ? 'webgpu' : 'cpu');
    });
    for (const id of ['main-fields', 'more-fields', 'seed', 'backend']) {
      for (const type of ['input', 'change']) {
        byId(id).addEventListener(type, () => {
          this.formDirty = true;
        });
      }
    }
    byId('start').addEventListener('click', () => void this.guard(() => this.start()));
    byId('pause').addEventListener('click', () => void this.guard(() => this.pause()));
    byId('reset').addEventListener('click', () => void this.guard(() => this.reset()));
    byId('greedy').addEventListener('click', () => void this.guard(() => this.playGreedy()));
    byId('download').addEventListener('click', () => void this.guard(() => this.download()));
    const upload = byId<HTMLInputElement>('upload');
    byId('upload-button').addEventListener('click', () => upload.click());
    upload.addEventListener('change', () => {
      const file = upload.files?.[0];
      upload.value = '';
      if (file) void this.guard(() => this.upload(file));
    });
  }

  /** Runs an action, showing its error instead of throwing. */
  private async guard(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.showNotice(errorMessage(error), 'error');
      if (this.phase === 'busy') this.setPhase(this.counters && this.counters.steps > 0 ? 'paused' : 'ready');
    }
  }

  /**
   * Switches the preset menu (and the form) to the algorithm's preset for the env on `backend`
   * (presetFor: DQN's `vector`, PQN's `pqn-cartpole-vector` on WebGPU) when it shows the one for
   * the other backend, the form untouched since; returns whether it switched.
   */
  private suggestPreset(backend: 'cpu' | 'webgpu'): boolean {
    const select = byId<HTMLSelectElement>('preset');
    const env = this.view.env();
    const name = this.view.presetFor(env, backend);
    const other = this.view.presetFor(env, backend === 'webgpu' ? 'cpu' : 'webgpu');
    if (name === other || select.value !== other || this.view.differsFrom(other)) return false;
    select.value = name;
    this.fillPreset(name);
    this.formDirty = true;
    return true;
  }

  /** Reads the form and opens a fresh run of the chosen algorithm in the worker (the backend is reopened only if its kind changed). */
  private async configure(): Promise<BackendInfo> {
    const formError = byId('form-error');
    let run: RunConfig;
    await this.prepareCustomEnv();
    try {
      run = this.view.read();
      formError.hidden = true;
    } catch (error) {
      formError.textContent = errorMessage(error);
      formError.hidden = false;
      throw error;
    }
    const seed = Number(byId<HTMLInputElement>('seed').value);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got '${byId<HTMLInputElement>('seed').value}'`);
    const kind = byId<HTMLSelectElement>('backend').value as BackendKind;
    this.setPhase('busy');
    let info = await this.client.request({ type: 'configure', backend: kind, seed, ...run });
    // 'auto' found a hardware GPU: train it with the vector preset, as the backend menu would.
    if (info.name === 'webgpu' && this.suggestPreset('webgpu')) {
      run = this.view.read();
      info = await this.client.request({ type: 'configure', backend: kind, seed, ...run });
    }
    this.run = run;
    this.formDirty = false;
    this.startFreshView();
    this.showBackend(info);
    this.setPhase('ready');
    return info;
  }

  private startFreshView(): void {
    this.lastStart = null;
    byId('run-status').title = '';
    this.chart.reset(envSpec(this.run.config.env).rewardThreshold);
    this.setCounterText('lastReturn', '–');
    this.setCounterText('bestEvaluation', '–');
    // A built-in env is drawn from its state by a twin here; a custom env draws its own frames in the worker, or nothing.
    const custom = this.customEnvs.get(this.run.config.env);
    this.renderer = custom ? null : new EnvStateRenderer(this.run.config.env);
    const note = byId('env-note');
    note.hidden = !custom || custom.rendersFrames;
    note.textContent = custom && !custom.rendersFrames ? `${custom.id} renders no frames (no render() giving RGBA frames when built with renderMode 'rgb_array'): nothing to draw.` : '';
    this.canvas.hidden = !note.hidden;
    this.lastFrameSize = null;
    this.playback = null;
    this.pendingSnapshot = null;
    this.snapshotSteps = 0;
    this.viewGeneration++;
    this.canvasFrames = 0;
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    byId('stage-title').textContent = 'Training episode';
    byId('stage-caption').textContent = `${this.run.config.env} · press Start`;
  }

  private showBackend(info: BackendInfo): void {
    this.backend = info;
    const badge = byId('backend-badge');
    badge.dataset.backend = info.name;
    badge.textContent = info.name === 'webgpu' ? `WebGPU · ${info.description}` : `CPU · ${info.description}`;
    if (info.fallbackReason !== null) {
      this.showNotice(`Training runs on the CPU backend because ${info.fallbackReason}.`, 'warning');
    } else {
      this.hideNotice();
    }
  }

  private async start(): Promise<void> {
    if ((this.counters?.steps ?? 0) === 0) this.startPressedAt = performance.now();
    if (this.phase === 'ready' && this.formDirty) await this.configure();
    this.playback = null;
    const counters = await this.client.request({ type: 'start' });
    this.counters = counters;
    this.setPhase(counters.done ? 'finished' : 'training');
    // Device envs are drawn from a snapshot taken between iterations: the first may be seconds away.
    if (this.canvasFrames === 0 && !counters.done) byId('stage-caption').textContent = `${this.run.config.env} · training, waiting for env 0`;
  }

  private async pause(): Promise<void> {
    const counters = await this.client.request({ type: 'pause' });
    this.renderCounters(counters);
    this.setPhase(counters.done ? 'finished' : 'paused');
  }

  private async reset(): Promise<void> {
    await this.client.request({ type: 'pause' });
    await this.configure();
    this.hideNotice();
    if (this.backend) this.showBackend(this.backend);
  }

  private async playGreedy(): Promise<void> {
    const seed = Number(byId<HTMLInputElement>('greedy-seed').value);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`episode seed must be a non-negative integer`);
    const before = this.phase;
    this.setPhase('busy');
    const episode = await this.client.request({ type: 'greedy-episode', seed });
    const { states: _states, frames, ...summary } = episode;
    this.lastGreedy = summary;
    const capped = frames !== null && frames.count < episode.length + 1 ? ` (the first ${frames.count} frames are shown: a greedy episode records at most ${GREEDY_FRAME_CAP} frames or ${GREEDY_FRAME_BYTES_CAP / 2 ** 20} MiB of them)` : '';
    byId('greedy-result').textContent = `Greedy return ${formatNumber(episode.return, 0)} in ${episode.length} steps (seed ${seed})${capped}`;
    const drawable = frames !== null || (episode.stateSize > 0 && this.renderer !== null);
    this.playback = drawable ? { episode, startedAt: performance.now(), fps: frames !== null ? CUSTOM_ENV_FPS : renderFps(episode.envId), lastFrame: -1 } : null;
    this.setPhase(before === 'training' || before === 'paused' ? 'paused' : before === 'busy' ? 'ready' : before);
  }

  private async download(): Promise<void> {
    const { bytes, hidden, algo } = await this.client.request({ type: 'get-weights' });
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    const steps = this.counters?.steps ?? 0;
    link.download = `${algo}_weights_${this.run.config.env}_${hidden.join('x')}_step${steps}.npz`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  private async upload(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    // Weights load into a run of the algorithm the menu shows: another one chosen since the run was set up opens its run first.
    if (this.phase === 'ready' && this.view.name !== this.run.algo) await this.configure();
    const before = this.phase;
    this.setPhase('busy');
    const result = await this.client.request({ type: 'load-weights', bytes, fileName: file.name }, [bytes.buffer]);
    if (result.run.algo !== this.view.name) {
      byId<HTMLSelectElement>('algo').value = result.run.algo;
      this.showAlgorithm(result.run.algo, result.run.config.env);
    }
    this.view.fill(result.run);
    this.run = result.run;
    if (result.restarted) {
      this.formDirty = false;
      this.startFreshView();
    }
    this.setPhase(result.restarted ? 'ready' : before === 'training' ? 'paused' : before);
    this.showNotice(`Loaded ${file.name} (${result.hidden.join('-')} hidden)${result.restarted ? ': a fresh run was set up with these layer widths' : ''}.`, 'info');
  }

  /** Shows what the worker is doing in the status line (until the phase settles or the first step). */
  private showStatus(text: string): void {
    this.statusText = text;
    this.renderStatus();
  }

  /** The first env step of the run: the status line returns to the phase, its tooltip says what the start cost. */
  private onStarted(report: StartReport): void {
    const seconds = this.startPressedAt === null ? Number.NaN : (performance.now() - this.startPressedAt) / 1000;
    this.startPressedAt = null;
    this.lastStart = { ...report, seconds };
    this.statusText = null;
    const pipelines = report.gpuPipelines === null ? '' : ` · ${report.gpuPipelines} GPU pipelines compiled`;
    byId('run-status').title = `first env step ${formatNumber(seconds, 1)} s after Start${pipelines}`;
    this.renderStatus();
  }

  private onProgress(message: Extract<WorkerMessage, { type: 'progress' }>): void {
    this.chart.addEpisodes(message.episodes);
    this.chart.addEvaluations(message.evaluations);
    const last = message.episodes[message.episodes.length - 1];
    if (last) this.setCounterText('lastReturn', formatNumber(last.return));
    for (const evaluation of message.evaluations) {
      if (evaluation.best) this.setCounterText('bestEvaluation', `${formatNumber(evaluation.meanReturn, 1)} @ ${formatNumber(evaluation.steps)}`);
    }
    this.renderCounters(message.counters);
    if (!message.counters.running && this.phase === 'training') this.setPhase(message.counters.done ? 'finished' : 'paused');
  }

  private setCounterText(name: string, text: string): void {
    const element = document.querySelector(`[data-counter="${name}"]`);
    if (element) element.textContent = text;
  }

  private renderCounters(c: TrainingCounters): void {
    this.counters = c;
    const set = (name: keyof TrainingCounters, text: string) => this.setCounterText(name, text);
    set('steps', formatNumber(c.steps));
    set('episodes', formatNumber(c.episodes));
    set('updates', formatNumber(c.updates));
    set('stepsPerSecond', formatNumber(c.stepsPerSecond));
    set('updatesPerSecond', formatNumber(c.updatesPerSecond));
    set('epsilon', formatNumber(c.epsilon, 3));
    // An algorithm that does not explore by epsilon (PPO samples its policy) reports NaN: no row.
    const epsilonRow = document.querySelector('[data-counter="epsilon"]')?.parentElement;
    if (epsilonRow instanceof HTMLElement) epsilonRow.hidden = Number.isNaN(c.epsilon);
    set('loss', formatLoss(c.loss, c.updates));
    set('meanReturn100', formatNumber(c.meanReturn100, 1));
  }

  /** The status line: what the worker says it is doing, else the phase. */
  private renderStatus(): void {
    const phase = this.phase;
    byId('run-status').textContent =
      this.statusText ?? { starting: 'starting', ready: 'ready', training: 'training', paused: 'paused', finished: 'finished', busy: 'working…' }[phase];
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    // A settled phase ends what the worker was doing; busy, starting and training (before its first step) keep it.
    if (phase === 'ready' || phase === 'paused' || phase === 'finished') this.statusText = null;
    const pill = byId('run-status');
    pill.dataset.phase = phase;
    this.renderStatus();
    const runExists = (this.counters?.steps ?? 0) > 0 && phase !== 'ready';
    const busy = phase === 'busy' || phase === 'starting';
    (byId('start') as HTMLButtonElement).disabled = busy || phase === 'training' || phase === 'finished';
    (byId('start') as HTMLButtonElement).textContent = phase === 'paused' ? 'Resume' : 'Start';
    (byId('pause') as HTMLButtonElement).disabled = phase !== 'training';
    (byId('reset') as HTMLButtonElement).disabled = busy;
    (byId('greedy') as HTMLButtonElement).disabled = busy;
    (byId('download') as HTMLButtonElement).disabled = busy;
    byId<HTMLInputElement>('upload').disabled = busy;
    (byId('upload-button') as HTMLButtonElement).disabled = busy;
    const locked = runExists || busy;
    this.view.setDisabled(locked);
    for (const id of ['algo', 'preset', 'seed', 'backend', 'custom-env-url', 'custom-env-source', 'custom-env-from-url', 'custom-env-from-text']) byId<HTMLInputElement>(id).disabled = locked;
    document.body.dataset.phase = phase;
  }

  private showNotice(text: string, level: 'info' | 'warning' | 'error'): void {
    const notice = byId('notice');
    notice.textContent = text;
    notice.dataset.level = level;
    notice.hidden = false;
    if (level === 'error') console.error(text);
  }

  private hideNotice(): void {
    byId('notice').hidden = true;
  }

  /**
   * Asks the worker for the first training env's state once the run has stepped since the last ask,
   * with at most one request out: at most one a display frame, none while nothing moves. (With envs
   * on the device each is one small read back, taken between iterations.)
   */
  private requestSnapshot(): void {
    const steps = this.counters?.steps ?? 0;
    if (this.snapshotInFlight || steps === this.snapshotSteps) return;
    this.snapshotInFlight = true;
    this.snapshotSteps = steps;
    const generation = this.viewGeneration;
    this.client.request({ type: 'env-snapshot' }).then(
      (snapshot) => {
        this.snapshotInFlight = false;
        if (snapshot && generation === this.viewGeneration) this.pendingSnapshot = snapshot;
      },
      (error: unknown) => {
        this.snapshotInFlight = false;
        if (generation === this.viewGeneration) this.showNotice(`canvas: ${errorMessage(error)}`, 'error');
      },
    );
  }

  /** Draws the latest training state, or the greedy episode being played back, once per display frame. */
  private animate(time: number): void {
    this.chart.flush();
    const renderer = this.renderer;
    const custom = this.customEnvs.get(this.run.config.env);
    if (renderer || custom?.rendersFrames) {
      if (this.playback) this.drawPlayback(time);
      else this.requestSnapshot();
      if (!this.playback && this.pendingSnapshot) {
        const snap = this.pendingSnapshot;
        this.pendingSnapshot = null;
        // A custom env's frame as it came, a built-in env's state through its render twin.
        const frame = snap.envId !== this.run.config.env ? null : snap.frame ?? (renderer && snap.envId === renderer.envId ? renderer.render(snap.state) : null);
        if (frame) {
          this.draw(frame);
          this.canvasFrames++;
          byId('stage-title').textContent = 'Training episode';
          byId('stage-caption').textContent = `${snap.envId} · episode ${snap.episode} · step ${snap.episodeStep}`;
        }
      }
    }
    requestAnimationFrame((t) => this.animate(t));
  }

  private drawPlayback(time: number): void {
    const p = this.playback as NonNullable<App['playback']>;
    const recorded = p.episode.frames;
    const frames = recorded ? recorded.count : p.episode.states.length / p.episode.stateSize;
    const index = Math.min(frames - 1, Math.floor(((time - p.startedAt) / 1000) * p.fps));
    if (index === p.lastFrame || p.episode.envId !== this.run.config.env) return;
    p.lastFrame = index;
    if (recorded) {
      const size = recorded.width * recorded.height * 4;
      this.draw({ width: recorded.width, height: recorded.height, data: recorded.data.subarray(index * size, (index + 1) * size) });
    } else if (this.renderer) {
      this.draw(this.renderer.render(p.episode.states, index * p.episode.stateSize));
    }
    byId('stage-title').textContent = 'Greedy episode';
    byId('stage-caption').textContent = `seed ${p.episode.seed} · step ${index} / ${p.episode.length} · return ${formatNumber(p.episode.return)}`;
    if (index === frames - 1) this.playback = null;
  }

  /** Draws a frame: as it is when it has the canvas's size (the built-in envs'), else scaled to fit, centred, pixels kept sharp. */
  private draw(frame: { width: number; height: number; data: Uint8ClampedArray }): void {
    const image = new ImageData(frame.data as Uint8ClampedArray<ArrayBuffer>, frame.width, frame.height);
    this.lastFrameSize = { width: frame.width, height: frame.height };
    const { width, height } = this.canvas;
    if (frame.width === width && frame.height === height) {
      this.context.putImageData(image, 0, 0);
      return;
    }
    const source = (this.frameCanvas ??= document.createElement('canvas'));
    source.width = frame.width;
    source.height = frame.height;
    (source.getContext('2d') as CanvasRenderingContext2D).putImageData(image, 0, 0);
    const scale = Math.min(width / frame.width, height / frame.height);
    const w = frame.width * scale;
    const h = frame.height * scale;
    this.context.clearRect(0, 0, width, height);
    this.context.imageSmoothingEnabled = false;
    this.context.drawImage(source, (width - w) / 2, (height - h) / 2, w, h);
  }
}
