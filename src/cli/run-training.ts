/**
 * `--mode train`: one training run, step by step:
 *   planRun (run-plan.ts: every check, nothing created) -> open the backend -> check the GPU's
 *   buffer limits -> build the trainer and its start weights -> claim the run folder (lock, stale
 *   temp files) -> banner and config.json -> train in short slices with checkpoints until done or
 *   stopped by a signal -> checkpoint, weights and learning curve -> final greedy evaluation and GIF.
 *
 * What can go wrong once work has started, and what the user then gets:
 * - a signal (SIGINT, SIGTERM, SIGHUP): the checkpoint and the weights are saved and the resume
 *   command printed; exit 128 + the signal's number (stop-signal.ts);
 * - a non-finite loss or weight: training stops naming the step and the last good checkpoint;
 *   nothing non-finite is saved; exit 1 (or, with --on-non-finite skip, the round is undone);
 * - a lost WebGPU device: with --backend auto the run goes on on the CPU from the last checkpoint;
 *   otherwise it stops naming the last checkpoint and how to resume on the CPU; exit 1;
 * - a write that fails (a full disk, a read-only remount): the message names the file and says the
 *   previous checkpoint is intact; exit 1.
 * A run that fails before its first training step leaves no run folder behind.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Backend, FloatArray } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { DeviceLostError, GpuOutOfMemoryError } from '../backend/webgpu/gpu-errors.js';
import { EnvOutputError } from '../envs/custom-env.js';
import { envSizes, envSource, envSpec } from '../envs/registry.js';
import { removeOrphanTempFiles, writeFileAtomic } from '../io/node/atomic-write.js';
import { FileAccessError } from '../io/node/fs-errors.js';
import { openCheckpoint, type OpenedCheckpoint } from '../io/checkpoint.js';
import { describeNetwork, type AlgorithmEntry } from '../rl/algorithms.js';
import type { BaseConfig, BaseState, Trainer } from '../rl/trainer.js';
import type { GreedyPolicy } from '../rl/greedy-evaluation.js';
import { checkMemoryFits, type MemoryLimits } from '../rl/memory-budget.js';
import { NonFiniteError } from '../rl/non-finite-guard.js';
import { describeBackend, gpuLimits, openBackend, wasmMemoryLimit } from './backend.js';
import { asUsage } from './cli-errors.js';
import type { CliOptions } from './command.js';
import { say, shellQuoted, shown } from './console.js';
import { evaluatePolicy, summaryLine, writeEpisodeGif } from './evaluate.js';
import { FaultInjection } from './fault-injection.js';
import { createProgressReporter, type ProgressReporter } from './progress.js';
import { sameWrittenFile } from './output-paths.js';
import { encodeRunRecord } from './resume-record.js';
import { RunFolder, readEvaluations, readMetrics, writeLearningCurve } from './run-folder.js';
import { checkRunPaths, flagName, hostMemoryLimits, planRun, runFilesIn, type RunFiles, type RunPlan } from './run-plan.js';
import { RunRecords } from './run-records.js';
import { StopSignal } from './stop-signal.js';

/** Longest slice of training between two turns of the event loop (signals are heard between slices). */
const SLICE_MS = 50;

/** Thrown into a final evaluation when a stop is asked for: the weights are saved already. */
class StopRequested extends Error {}

/** Where the run can be continued from: the latest checkpoint written (or resumed from). */
interface SavedPoint {
  path: string;
  steps: number;
}

/** Trains as the flags say; returns the exit code (0, or 128 + n after signal n). */
export async function runTraining<C extends BaseConfig, S extends BaseState<C>>(
  entry: AlgorithmEntry<C, S>,
  program: Command,
  options: CliOptions,
  flagsConfig: C,
  resume: OpenedCheckpoint | null,
): Promise<number> {
  const plan = await asUsage(() => planRun(entry, program, options, flagsConfig, resume));
  return new TrainingRun(plan).run();
}

class TrainingRun<C extends BaseConfig, S extends BaseState<C>> {
  private backend: Backend | null = null;
  private trainer: Trainer<C, S> | null = null;
  private folder: RunFolder | null = null;
  private files: RunFiles | null = null;
  private records: RunRecords | null = null;
  private readonly progress: ProgressReporter;
  private readonly stop: StopSignal;
  private readonly faults = new FaultInjection();
  private saved: SavedPoint | null;
  private stepsTaken = 0;
  private trainingSeconds = 0;
  /** What this process's training cost (stats.json), summed over backends when a lost device moved the run to the CPU. */
  private readonly cost = { updates: 0, dispatches: 0, submits: 0, readbacks: 0 };

  constructor(private readonly plan: RunPlan<C, S>) {
    this.progress = createProgressReporter(plan.entry.budget(plan.config), process.stdout, Math.max(1, plan.logEvery));
    this.stop = new StopSignal(
      (text) => this.progress.message(text),
      () => this.progress.stop(),
    );
    this.saved = plan.resume ? { path: plan.resume.path, steps: plan.resume.checkpoint.state.steps } : null;
  }

  async run(): Promise<number> {
    try {
      this.backend = await openBackend(this.plan.backendKind);
      // What --backend auto picked settles the fields left to the backend (PQN's envOn 'auto'; a
      // backend named by --backend settled them in planRun, and settling again changes nothing).
      this.plan.config = this.plan.entry.forBackend(this.plan.config, this.backend.name);
      // The backend's own limits (a GPU's buffers, the WebAssembly memory), before any tensor exists.
      const gpu = gpuLimits(this.backend);
      const wasmMemoryBytes = wasmMemoryLimit(this.backend);
      if (gpu !== undefined || wasmMemoryBytes !== undefined) await asUsage(() => this.checkFits({ ...hostMemoryLimits(), gpu, wasmMemoryBytes }));
      this.trainer = this.buildTrainer(this.backend);
      this.setStartWeights(this.trainer);
      await this.claimFolder();
      await this.announce();
      for (;;) {
        try {
          await this.trainSaveEvaluate();
          break;
        } catch (error) {
          if (!(error instanceof DeviceLostError)) throw error;
          await this.afterDeviceLoss(error);
        }
      }
      return this.stop.exitCode;
    } catch (error) {
      if (this.stepsTaken === 0) this.folder?.abandon();
      throw this.explain(error);
    } finally {
      this.stop.dispose();
      this.progress.stop();
      this.records?.close();
      this.trainer?.dispose();
      this.backend?.destroy();
      this.folder?.release();
    }
  }

  private checkFits(limits: MemoryLimits): void {
    const { config, entry } = this.plan;
    // The algorithm's schema already refused an env it cannot train (DQN, PQN: Box actions); any action space sizes here.
    const { obsDim, nActions } = envSizes(config.env);
    checkMemoryFits(entry.estimateMemory(config, obsDim, nActions, flagName), limits);
  }

  private buildTrainer(backend: Backend): Trainer<C, S> {
    return this.plan.entry.createTrainer(backend, this.plan.config, this.plan.seed, {
      onEpisode: (log) => {
        const updates = this.trainer?.updates ?? 0;
        this.records?.addEpisode(log, updates);
        this.progress.episode(log, updates);
      },
      onEvaluation: async (log) => {
        await this.records?.addEvaluation(log);
        this.progress.evaluation(log);
      },
    });
  }

  /** Resumes from the checkpoint, or starts from --load's weights (online and target), or from fresh weights. */
  private setStartWeights(trainer: Trainer<C, S>): void {
    const { resume, initialWeights } = this.plan;
    if (resume) {
      trainer.restore(resume.checkpoint.state);
    } else if (initialWeights !== null) {
      trainer.loadWeights(initialWeights.arrays);
    }
  }

  /** Claims the run folder, sweeps temp files killed runs left, and opens the records. */
  private async claimFolder(): Promise<void> {
    const { folder: choice, resume, save, video } = this.plan;
    this.folder = await asUsage(() => (choice.numbered ? RunFolder.claimNumbered(choice.path, '--out') : RunFolder.claim(choice.path, '--out', choice.fresh, choice.shown)));
    // The numbered folder's name is known only now: its files against --save, --video and --load.
    if (choice.numbered) await asUsage(() => checkRunPaths(this.plan, this.folder!.path, this.plan.entry.name));
    const removed = [...this.folder.removedTempFiles.map((name) => `${shown(this.folder!.path)}/${name}`)];
    for (const file of [save, video].filter((path) => path !== null)) {
      removed.push(...removeOrphanTempFiles(dirname(file)).map((name) => `${shown(dirname(file))}/${name}`));
    }
    if (removed.length > 0) say(`removed ${removed.length} temp file(s) left by an interrupted write: ${removed.join(', ')}`);
    this.files = runFilesIn(this.folder.path, this.plan.entry.name);
    // The rows an older checkpoint left beside it are input like the checkpoint itself (exit 2 when unreadable).
    const start = await asUsage(() => this.startRecords());
    this.records = new RunRecords(this.files, start);
    if (resume) this.progress.message(`resumed from ${resume.path} at step ${resume.checkpoint.state.steps}, episode ${resume.checkpoint.state.episodes}`);
    for (const notice of this.plan.notices) this.progress.message(notice);
  }

  /** The rows a resumed run starts from: the checkpoint's, or (older checkpoints) the CSV files beside it, up to the checkpoint. */
  private startRecords(): ConstructorParameters<typeof RunRecords>[1] {
    const resume = this.plan.resume;
    if (resume === null) return { episodes: [], evaluations: [] };
    const { steps, episodes } = resume.checkpoint.state;
    if (resume.record !== null) return { episodes: resume.record.episodes, evaluations: resume.record.evaluations };
    const beside = runFilesIn(dirname(resume.path), this.plan.entry.name);
    return {
      episodes: readMetrics(beside.metrics).filter((r) => r.episode <= episodes),
      evaluations: readEvaluations(beside.evaluations).filter((e) => e.steps <= steps),
    };
  }

  /** The banner, the run folder, and config.json. */
  private async announce(): Promise<void> {
    const { config, seed, preset, entry } = this.plan;
    const trainer = this.trainer!;
    const backend = this.backend!;
    const details = entry.describeRun(config);
    const budget = entry.budget(config);
    say(
      `training ${entry.describe(config)} on ${config.env} | preset ${preset} | seed ${seed} | backend ${describeBackend(backend)} | ` +
        `net ${describeNetwork(entry, config, trainer.envs.obsDim, trainer.envs.nActions)} | ${details !== '' ? `${details} | ` : ''}` +
        `${budget.steps > 0 ? `${budget.steps} steps` : `${budget.episodes} episodes`} | ${trainer.describeExploration()}`,
    );
    say(`run folder: ${shown(this.folder!.path)}`);
    const source = envSource(config.env);
    await writeFileAtomic(this.files!.config, JSON.stringify({ algo: entry.name, seed, preset, backend: backend.name, ...config, ...(source !== null ? { envSource: source } : {}) }, null, 2) + '\n');
  }

  /**
   * Trains to the end (or a stop, or a write that fails), then writes every output it can: the
   * checkpoint, the weights (--save and the run folder), the learning curve, and (after a run that
   * trained to its end) the final evaluation and the GIF. An output that cannot be written (a full
   * disk) does not keep the others from being written; the failures are reported together at the
   * end, with the command that continues the run elsewhere (OutputFailure).
   */
  private async trainSaveEvaluate(): Promise<void> {
    const trainer = this.trainer!;
    const outputs = new OutputAttempts();
    let failedMidRun = false;
    try {
      await this.trainInSlices();
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      // A periodic write failed (a checkpoint, a metrics row). The trainer may be mid-step: its
      // state is not checkpointed again; the last good checkpoint stays the one to resume.
      outputs.failures.push(error);
      failedMidRun = true;
    }
    this.progress.stop();
    if (this.stepsTaken === 0 && this.stop.requested) {
      // Nothing was trained in this process: nothing to save.
      if (this.plan.resume === null) this.folder?.abandon();
      say(`stopped before training started; nothing was saved`);
      return;
    }
    const stopped = this.stop.requested || failedMidRun;
    say(
      `${stopped ? 'stopped' : 'finished'}: ${trainer.steps} steps, ${trainer.episodes} episodes, ${trainer.updates} updates in ${this.trainingSeconds.toFixed(1)} s ` +
        `(${(this.stepsTaken / Math.max(this.trainingSeconds, 1e-9)).toFixed(0)} steps/s); ` +
        (trainer.episodes > 0 ? `mean return of the last 100 episodes ${trainer.meanReturn100.toFixed(1)}` : 'no training episode has ended yet'),
    );
    if (!failedMidRun && (await outputs.attempt(() => this.saveCheckpoint()))) {
      const checkpoint = shown(this.files!.checkpoint);
      say(`checkpoint: ${checkpoint}${this.stop.requested ? ` (continue with --resume ${shellQuoted(checkpoint)})` : ''}`);
    }
    const weights = await this.saveWeights(outputs);
    await outputs.attempt(async () => this.records!.close());
    await outputs.attempt(() => this.saveLearningCurve());
    await outputs.attempt(() => this.saveStats());
    if (!stopped) {
      trainer.policy.setWeights(weights);
      try {
        await this.finalEvaluation(outputs);
      } catch (error) {
        if (!(error instanceof StopRequested)) throw error;
        say('stopped during the final evaluation (the checkpoint and the weights are saved)');
      }
    }
    if (outputs.failures.length > 0) throw new OutputFailure(outputs, this.saved, this.recoveryFlags(outputs));
  }

  /** The flags that send the failed outputs elsewhere when the run is continued: --out for the run folder's files, --save, --video. */
  private recoveryFlags(outputs: OutputAttempts): string[] {
    const failed = new Set(outputs.failures.map((failure) => resolve(failure.path)));
    const folder = this.folder!.path;
    const flags: string[] = [];
    if ([...failed].some((path) => dirname(path) === folder)) flags.push('--out <a folder with room>');
    if (this.plan.save !== null && failed.has(this.plan.save)) flags.push('--save <a file with room>');
    if (this.plan.video !== null && failed.has(this.plan.video)) flags.push('--video <a file with room>');
    return flags;
  }

  /**
   * Trains until the budget is spent or a stop is asked for, in slices of at most SLICE_MS with a
   * turn of the event loop between them (so a signal is heard), writing a checkpoint every
   * `checkpointEvery` env steps (0: none until the end).
   */
  private async trainInSlices(): Promise<void> {
    const trainer = this.trainer!;
    const every = this.plan.checkpointEvery;
    let nextCheckpoint = every > 0 ? (Math.floor(trainer.steps / every) + 1) * every : Number.POSITIVE_INFINITY;
    const started = performance.now();
    const startSteps = trainer.steps;
    const startUpdates = trainer.updates;
    const backend = this.backend!;
    const before = backend.stats();
    try {
      while (!trainer.done && !this.stop.requested) {
        const sliceEnd = performance.now() + SLICE_MS;
        await trainer.run(Number.POSITIVE_INFINITY, () => this.stop.requested || trainer.steps >= nextCheckpoint || performance.now() >= sliceEnd);
        this.faults.afterSlice(trainer.steps, this.backend!);
        await new Promise<void>((resolveYield) => setImmediate(resolveYield));
        if (trainer.steps >= nextCheckpoint) {
          await this.saveCheckpoint();
          while (nextCheckpoint <= trainer.steps) nextCheckpoint += every;
        }
        this.stepsTaken = Math.max(this.stepsTaken, trainer.steps - startSteps);
      }
    } finally {
      this.stepsTaken = Math.max(this.stepsTaken, trainer.steps - startSteps);
      this.trainingSeconds += (performance.now() - started) / 1000;
      const after = backend.stats();
      this.cost.updates += trainer.updates - startUpdates;
      this.cost.dispatches += after.dispatches - before.dispatches;
      this.cost.submits += after.submits - before.submits;
      this.cost.readbacks += after.readbacks - before.readbacks;
    }
  }

  /** Writes checkpoint.zip, never a non-finite state (NonFiniteError instead: the previous one stays). */
  private async saveCheckpoint(): Promise<void> {
    const trainer = this.trainer!;
    const state = await trainer.getState();
    this.plan.entry.checkpoint.checkFinite(state);
    const { save, video, checkpointEvery, finalEvalEpisodes, logEvery, preset } = this.plan;
    const frontEnd = encodeRunRecord({
      save: save ?? this.files!.weights,
      video,
      checkpointEvery,
      finalEvalEpisodes,
      logEvery,
      episodes: this.records!.episodes,
      evaluations: this.records!.evaluations,
      envSource: envSource(this.plan.config.env),
    });
    await writeFileAtomic(this.files!.checkpoint, this.plan.entry.checkpoint.encode(state, { preset, frontEnd }));
    this.saved = { path: this.files!.checkpoint, steps: state.steps };
  }

  /**
   * Writes the weights to keep (the best evaluated, else the latest) to --save and the run folder,
   * each tried even when the other fails; returns them.
   */
  private async saveWeights(outputs: OutputAttempts): Promise<FloatArray[]> {
    const trainer = this.trainer!;
    const { config, save, entry } = this.plan;
    const weights = await trainer.finalWeights();
    if (trainer.bestWeights) {
      say(`keeping the best evaluated weights: those of step ${trainer.bestSteps} (mean return ${trainer.bestMeanReturn.toFixed(1)} over ${config.evalEpisodes} episodes)`);
    }
    // The encoder refuses non-finite weights: a diverged run never leaves NaN weights behind (a custom env's file records its module).
    const npz = await trainer.weightsFile(weights);
    const inFolder = this.files!.weights;
    // --save may be the run folder's own weights file: one file, written once.
    const targets = save === null || sameWrittenFile(save, inFolder) ? [inFolder] : [save, inFolder];
    const written: string[] = [];
    for (const target of targets) if (await outputs.attempt(() => writeFileAtomic(target, npz))) written.push(target);
    if (written.length > 0) {
      outputs.weightsAt = written[0];
      say(`weights: ${shown(written[0])}${written.length === 2 ? ' (also in the run folder)' : ''}`);
    }
    return weights;
  }

  /**
   * stats.json: what this process's training cost in deterministic counts (env steps, updates, and
   * the backend's dispatches, submits and read backs, with their rates per env step and per
   * update), for comparing algorithms, backends and env placements.
   */
  private async saveStats(): Promise<void> {
    const trainer = this.trainer!;
    const { updates, dispatches, submits, readbacks } = this.cost;
    const envSteps = this.stepsTaken;
    const per = (count: number, of: number) => (of > 0 ? count / of : null);
    const stats = {
      algo: this.plan.entry.name,
      backend: this.backend!.name,
      envSteps,
      updates,
      dispatches,
      submits,
      readbacks,
      perEnvStep: { dispatches: per(dispatches, envSteps), submits: per(submits, envSteps), readbacks: per(readbacks, envSteps) },
      perUpdate: { dispatches: per(dispatches, updates), submits: per(submits, updates), readbacks: per(readbacks, updates) },
      totalEnvSteps: trainer.steps,
      trainingSeconds: this.trainingSeconds,
    };
    await writeFileAtomic(this.files!.stats, JSON.stringify(stats, null, 2) + '\n');
  }

  private async saveLearningCurve(): Promise<void> {
    const { config, preset, seed, entry } = this.plan;
    const title = `${entry.describe(config)} on ${config.env} (${preset} preset, ${this.backend!.name})`;
    const records = this.records!;
    const { curvePng, curveSvg } = this.files!;
    await writeLearningCurve({ png: curvePng, svg: curveSvg }, `${preset} seed ${seed}`, records.episodes, records.evaluations, title, envSpec(config.env).rewardThreshold);
    say(`learning curve: ${shown(curvePng)}`);
  }

  /** A policy whose next Q read throws StopRequested once a stop is asked for. */
  private stoppable(policy: GreedyPolicy): GreedyPolicy {
    const checked = <T>(read: () => Promise<T>): Promise<T> => {
      if (this.stop.requested) throw new StopRequested();
      return read();
    };
    return {
      nActions: policy.nActions,
      actionBounds: policy.actionBounds,
      qValues: (observation) => checked(() => policy.qValues(observation)),
      qValuesBatch: (observations, rows) => checked(() => policy.qValuesBatch(observations, rows)),
    };
  }

  /** Greedy episodes of the kept weights (eval.json), then the GIF of one; each file tried even when the other fails. */
  private async finalEvaluation(outputs: OutputAttempts): Promise<void> {
    const { config, finalEvalSeed, finalEvalEpisodes, video } = this.plan;
    const trainer = this.trainer!;
    const policy = this.stoppable(trainer.policy);
    if (finalEvalEpisodes > 0) {
      const threshold = envSpec(config.env).rewardThreshold;
      const summary = await evaluatePolicy(policy, config.env, finalEvalEpisodes, finalEvalSeed);
      say(summaryLine(summary));
      if (threshold !== null) say(summary.mean >= threshold ? `solved: mean ${summary.mean.toFixed(1)} >= ${threshold}` : `not solved: mean ${summary.mean.toFixed(1)} < ${threshold}`);
      const weightsFromStep = trainer.bestWeights ? trainer.bestSteps : trainer.steps;
      const json = JSON.stringify({ ...summary, steps: trainer.steps, weightsFromStep, wallTimeS: this.trainingSeconds, backend: this.backend!.name }, null, 2) + '\n';
      await outputs.attempt(() => writeFileAtomic(this.files!.evalJson, json));
    }
    if (video !== null) await outputs.attempt(() => writeEpisodeGif(policy, video, config.env, finalEvalSeed));
  }

  /**
   * The WebGPU device is gone. With --backend auto: go on on the CPU from the last checkpoint (or
   * from the start when none was written yet). Otherwise: stop, saying how to continue.
   */
  private async afterDeviceLoss(error: DeviceLostError): Promise<void> {
    const trainer = this.trainer!;
    const at = trainer.steps;
    if (this.plan.backendKind !== 'auto') {
      const from = this.saved
        ? `the last checkpoint is ${shown(this.saved.path)} (step ${this.saved.steps}): continue with --resume ${shellQuoted(shown(this.saved.path))} --backend cpu`
        : 'no checkpoint was written yet: start again, with --backend cpu to train on the CPU';
      throw new Error(`${error.message.split('\n')[0]} at env step ${at}; ${from}`);
    }
    const from = this.saved ? `the last checkpoint (${shown(this.saved.path)}, step ${this.saved.steps})` : 'the start (no checkpoint was written yet)';
    this.progress.message(`${error.message.split('\n')[0]} at env step ${at}; continuing on the CPU backend from ${from}`);
    try {
      trainer.dispose();
    } catch {
      // Its GPU objects went with the device.
    }
    try {
      this.backend!.destroy();
    } catch {
      // Already unusable.
    }
    this.trainer = null;
    this.backend = new CpuBackend();
    const replacement = this.buildTrainer(this.backend);
    this.trainer = replacement;
    if (this.saved !== null) {
      const bytes = new Uint8Array(readFileSync(this.saved.path));
      replacement.restore(this.plan.entry.checkpoint.decode(openCheckpoint(bytes, this.saved.path)).state);
    } else {
      this.setStartWeights(replacement);
    }
    await this.records!.rewindTo(replacement.steps, replacement.episodes);
  }

  /** The error to report, with what the user can do next. */
  private explain(error: unknown): unknown {
    if (error instanceof NonFiniteError) {
      const from = this.saved
        ? `nothing from this point was saved; the last good checkpoint is ${shown(this.saved.path)} (step ${this.saved.steps})`
        : 'nothing was saved (no checkpoint had been written yet)';
      // Every algorithm has onNonFinite; with 'skip' already on, only a smaller --lr is left to try.
      const skipping = (this.plan.config as { onNonFinite?: string }).onNonFinite === 'skip';
      return new Error(`${error.message}; ${from}. Try a smaller --lr${skipping ? '' : ', or --on-non-finite skip to skip such updates'}`);
    }
    if (error instanceof EnvOutputError) {
      // A custom env returned NaN or an infinity (EnvOutputGuard) or something it cannot copy: nothing of it reached the network.
      const from = this.saved ? `the last checkpoint is ${shown(this.saved.path)} (step ${this.saved.steps}), written before it` : 'nothing was saved (no checkpoint had been written yet)';
      return new Error(`${error.message}; the run stopped at training step ${this.trainer?.steps ?? 0} with no update made from it; ${from}. Fix the env (checkEnv passed before training: this showed up only later)`);
    }
    if (error instanceof GpuOutOfMemoryError) {
      return new Error(`${error.message}; a smaller --hidden or --batch-size needs less GPU memory${this.saved ? `; the last checkpoint is ${shown(this.saved.path)} (step ${this.saved.steps})` : ''}`);
    }
    if (error instanceof FileAccessError) {
      return new Error(`${withShownPath(error)}${this.saved !== null ? `; the checkpoint ${shown(this.saved.path)} (step ${this.saved.steps}) is intact` : ''}`);
    }
    return error;
  }
}

/** A FileAccessError's message with its path as the user typed it (the writers name it absolute). */
function withShownPath(error: FileAccessError): string {
  return error.message.replace(`'${error.path}'`, `'${shown(error.path)}'`);
}

/** The outputs written at the end of a run: each is tried even when an earlier one failed (a full disk). */
class OutputAttempts {
  readonly failures: FileAccessError[] = [];
  /** Where the weights were written (--save, else the run folder's copy), or null when neither write succeeded. */
  weightsAt: string | null = null;

  /** Runs `write`; a FileAccessError is kept (and false returned) instead of ending the run. */
  async attempt(write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      this.failures.push(error);
      return false;
    }
  }
}

/**
 * Outputs that could not be written, all named, and what to do next: the command that continues
 * the run from its last checkpoint with the failed outputs sent elsewhere, or (with no checkpoint)
 * how to start again. Exit code 1.
 */
class OutputFailure extends Error {
  constructor(outputs: OutputAttempts, saved: SavedPoint | null, flags: readonly string[]) {
    const failures = outputs.failures;
    const messages = failures.map(withShownPath);
    const what = messages.length === 1 ? messages[0] : `${messages.length} outputs could not be written: ${messages.join('; ')}`;
    const next =
      saved !== null
        ? `the checkpoint ${shown(saved.path)} (step ${saved.steps}) is intact: make room, or continue with --resume ${[shellQuoted(shown(saved.path)), ...flags].join(' ')}`
        : `no checkpoint was written: make room, or start again${flags.length > 0 ? ` with ${flags.join(' ')}` : ''}`;
    const weights = outputs.weightsAt !== null ? `the weights are in ${shown(outputs.weightsAt)}; ` : '';
    super(`${what}; ${weights}${next}`);
  }
}
