/**
 * What a training run will do, settled and checked before any work starts: the config, seed and
 * preset (from the flags, or from the checkpoint with --resume), the weights --load starts from,
 * the run folder and every file the run writes. Everything a user can get wrong is found here and
 * refused with one line naming the flag, file or field (a UsageError: exit code 2): flag values
 * and how they fit together, sizes that cannot fit in memory, input files (read and decoded in
 * full), output paths (writable now, not a folder, not the same file twice), a --resume whose
 * flags conflict with its checkpoint. Nothing is created here.
 */
import type { Command } from 'commander';
import { totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { envSizes } from '../envs/registry.js';
import type { OpenedCheckpoint } from '../io/checkpoint.js';
import type { AlgorithmEntry } from '../rl/algorithms.js';
import { validateWithSchema } from '../rl/config-schema.js';
import { sameValue, showValue } from '../rl/config-values.js';
import { checkMemoryFits, type MemoryLimits } from '../rl/memory-budget.js';
import type { BaseConfig, BaseState } from '../rl/trainer.js';
import type { TrainerCheckpoint } from '../rl/trainer-checkpoint.js';
import { UsageError } from './cli-errors.js';
import { loadPath, videoFileName, videoPath, weightsFileName, type CliOptions } from './command.js';
import { flagName, givenConfigKeys } from './config-flags.js';
import { checkDistinctPaths, checkOutputFile, checkOutputFolder, readInputFile, type PathUse } from './output-paths.js';
import { checkNoRunIn } from './run-folder.js';
import { checkNotInUse } from './run-lock.js';
import { decodeRunRecord, type CliRunRecord } from './resume-record.js';
import { loadWeightsFor } from './weights.js';

/** Offset from the run's seed to the seed of the final evaluation and the GIF's episode. */
export const FINAL_EVAL_SEED_OFFSET = 10_000;

/** The files a run writes into its folder (the one list of them: the same-file check and every writer take it from here). */
export interface RunFiles {
  checkpoint: string;
  metrics: string;
  evaluations: string;
  config: string;
  evalJson: string;
  weights: string;
  curvePng: string;
  curveSvg: string;
  /** What the training cost in deterministic counts: env steps, updates, the backend's dispatches, submits and read backs. */
  stats: string;
}

/** The files a run of algorithm `algo` writes into `folder`. */
export function runFilesIn(folder: string, algo: string): RunFiles {
  return {
    checkpoint: join(folder, 'checkpoint.zip'),
    metrics: join(folder, 'metrics.csv'),
    evaluations: join(folder, 'evaluations.csv'),
    config: join(folder, 'config.json'),
    evalJson: join(folder, 'eval.json'),
    weights: join(folder, weightsFileName(algo)),
    curvePng: join(folder, 'learning-curve.png'),
    curveSvg: join(folder, 'learning-curve.svg'),
    stats: join(folder, 'stats.json'),
  };
}

/** How messages name a run folder's file: "the run's metrics.csv". */
function runFileFlag(path: string): string {
  return `the run's ${basename(path)}`;
}

/**
 * Throws UsageError when two of the run's paths are the same file (checkDistinctPaths): --load or
 * --resume against every output, and the outputs (--save, --video, the run folder's files) against
 * each other. --save may be the run folder's weights file (the same weights, written once), and a
 * resumed run rewrites the checkpoint it continues.
 */
export function checkRunPaths(
  plan: { save: string | null; video: string | null; resume: { path: string } | null; initialWeights: { path: string } | null },
  folder: string | null,
  algo: string,
): void {
  const files = folder === null ? [] : Object.values(runFilesIn(folder, algo));
  const writes: PathUse[] = [
    ...(plan.save !== null ? [{ flag: '--save', path: plan.save }] : []),
    ...(plan.video !== null ? [{ flag: '--video', path: plan.video }] : []),
    ...files.map((path) => ({ flag: runFileFlag(path), path })),
  ];
  const reads: PathUse[] = [
    ...(plan.resume !== null ? [{ flag: '--resume', path: plan.resume.path }] : []),
    ...(plan.initialWeights !== null ? [{ flag: '--load', path: plan.initialWeights.path }] : []),
  ];
  checkDistinctPaths(reads, writes, [
    ['--save', runFileFlag(weightsFileName(algo))],
    ['--resume', runFileFlag('checkpoint.zip')],
  ]);
}

/** The run folder to claim: a path used as it is, or a base numbered -2, -3, ... while taken. */
export interface FolderChoice {
  /** Absolute. */
  path: string;
  /** As messages show it (as the user typed it). */
  shown: string;
  numbered: boolean;
  /** A fresh run refuses a folder that already holds a run. */
  fresh: boolean;
}

export interface RunPlan<C extends BaseConfig, S extends BaseState<C>> {
  /** The algorithm trained (the registry's entry: rl/algorithms.ts). */
  entry: AlgorithmEntry<C, S>;
  config: C;
  seed: number;
  /** The preset the config started from (with --resume, the checkpoint's). */
  preset: string;
  backendKind: string;
  /** The checkpoint --resume continues from, its path and the CLI's record in it; null for a fresh run. */
  resume: { path: string; checkpoint: TrainerCheckpoint<S>; record: CliRunRecord | null } | null;
  /** Weights --load starts from (decoded and checked), or null. */
  initialWeights: { path: string; arrays: Float64Array[] } | null;
  /** Seed of the final evaluation's first reset and of the GIF's episode. */
  finalEvalSeed: number;
  folder: FolderChoice;
  /**
   * --save: the final weights (absolute), also written into the run folder; null for a resumed run
   * without --save (its weights go into the run folder only: a path read from a checkpoint never
   * becomes a write target).
   */
  save: string | null;
  /** The GIF of a greedy episode (absolute), or null with --no-video. */
  video: string | null;
  /** Lines to show the user before training (what a resumed run does differently from the run it continues). */
  notices: string[];
  checkpointEvery: number;
  finalEvalEpisodes: number;
  logEvery: number;
}

export { flagName };

/** The memory this process may use: the machine's, or a container's limit when lower. */
export function hostMemoryLimits(): MemoryLimits {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  const total = totalmem();
  return { hostBytes: constrained !== undefined && constrained > 0 && constrained < total ? constrained : total };
}

/**
 * Settles and checks the run (see the module note): `flagsConfig` is the preset overridden by the
 * flags, `opened` the checkpoint --resume names (opened by the caller to learn its algorithm; null
 * without --resume). Throws UsageError.
 */
export function planRun<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, program: Command, options: CliOptions, flagsConfig: C, opened: OpenedCheckpoint | null): RunPlan<C, S> {
  const given = (key: string) => program.getOptionValueSource(key) === 'cli';
  let config: C = structuredClone(flagsConfig);
  let seed = options.seed;
  let preset = options.preset;
  let resume: RunPlan<C, S>['resume'] = null;
  let initialWeights: RunPlan<C, S>['initialWeights'] = null;
  let save: string | null = options.save ?? weightsFileName(entry.name);
  let video = videoPath(options, config.env, seed + FINAL_EVAL_SEED_OFFSET);
  const notices: string[] = [];
  /** A resumed run without --video writes its GIF into the run folder (unless its run had none). */
  let videoInRunFolder = false;
  let { checkpointEvery, finalEvalEpisodes, logEvery } = options;

  if (opened !== null) {
    const path = opened.fileName;
    const checkpoint = entry.checkpoint.decode(opened);
    const { state, run } = checkpoint;
    if (options.load !== undefined) throw new UsageError(`--load cannot be combined with --resume: the checkpoint '${path}' holds the weights`);
    const conflicts: string[] = [];
    const resumable: readonly string[] = entry.resumableFields;
    const flags = flagsConfig as unknown as Record<string, unknown>;
    const saved = state.config as unknown as Record<string, unknown>;
    for (const key of givenConfigKeys(program)) {
      const agrees = sameValue(flags[key], saved[key]) || (entry.agreesWithAnySaved?.(key as keyof typeof state.config, flags[key]) ?? false);
      if (!resumable.includes(key) && !agrees) conflicts.push(`${flagName(key)} ${showValue(flags[key])} (the checkpoint has ${showValue(saved[key])})`);
    }
    if (given('seed') && options.seed !== state.seed) conflicts.push(`--seed ${options.seed} (the checkpoint has ${state.seed})`);
    if (given('preset') && options.preset !== run.preset) conflicts.push(`--preset ${options.preset} (the checkpoint has ${run.preset})`);
    if (conflicts.length > 0) {
      throw new UsageError(`--resume '${path}' conflicts with ${conflicts.join(', ')}: a resumed run keeps its checkpoint's settings (only ${entry.resumableFields.map(flagName).join(' and ')} may change); leave these flags out`);
    }
    config = structuredClone(state.config);
    for (const key of entry.resumableFields) if (given(key)) config[key] = flagsConfig[key];
    seed = state.seed;
    preset = run.preset;
    const record = decodeRunRecord(run.frontEnd, path);
    resume = { path, checkpoint, record };
    // The checkpoint's settings carry over; its paths do not: a checkpoint someone sent must not
    // choose which files get overwritten. Outputs go where the flags say, or into the run folder.
    if (record !== null) {
      if (!given('checkpointEvery')) checkpointEvery = record.checkpointEvery;
      if (!given('finalEvalEpisodes')) finalEvalEpisodes = record.finalEvalEpisodes;
      if (!given('logEvery')) logEvery = record.logEvery;
    }
    if (!given('save')) save = null;
    if (!given('video')) {
      video = null;
      videoInRunFolder = record?.video !== null;
    }
  } else {
    const load = loadPath(options, entry.name);
    if (load !== null) {
      // The file's network decides the fields the user left to their defaults.
      const loaded = loadWeightsFor(entry, readInputFile(load, '--load'), load, '--load', config, given);
      config = loaded.config;
      initialWeights = { path: load, arrays: loaded.arrays };
      if (!given('video')) video = videoPath(options, config.env, seed + FINAL_EVAL_SEED_OFFSET);
    }
  }

  // The fields left to the backend (PQN's envOn 'auto') settle now where --backend names one, so the
  // memory check sizes what will run; --backend auto's pick settles them once it is open (run-training.ts).
  if (options.backend !== 'auto') config = entry.forBackend(config, options.backend);
  validateWithSchema(entry.config, config, flagName);
  // The algorithm's schema already refused an env it cannot train (DQN, PQN: Box actions); any action space sizes here.
  const { obsDim, nActions } = envSizes(config.env);
  checkMemoryFits(entry.estimateMemory(config, obsDim, nActions, flagName), hostMemoryLimits());

  const folder = chooseFolder(options, given('out'), config, preset, seed, resume?.path ?? null);
  // Say where the weights went before, when it was not a run folder's own copy.
  const earlierSave = resume?.record?.save;
  if (save === null && earlierSave !== undefined && ![folder.path, dirname(resolve(resume!.path))].some((f) => resolve(earlierSave) === runFilesIn(f, entry.name).weights)) {
    notices.push(`the weights go into the run folder; the checkpoint's run also saved them to '${earlierSave}': give --save to write a copy where you choose`);
  }
  checkOutputFolder(folder.numbered ? dirname(folder.shown) : folder.shown, '--out');
  if (!folder.numbered) checkNotInUse(folder.path, '--out', folder.shown);
  if (!folder.numbered && folder.fresh) checkNoRunIn(folder.path, folder.shown, '--out');
  if (videoInRunFolder) video = join(folder.path, videoFileName(config.env, seed + FINAL_EVAL_SEED_OFFSET));
  // A numbered folder is new: its files are checked again once it is claimed (run-training.ts).
  checkRunPaths({ save, video, resume, initialWeights }, folder.numbered ? null : folder.path, entry.name);
  if (save !== null) save = checkOutputFile(save, '--save');
  if (video !== null) video = checkOutputFile(video, '--video');

  return {
    entry,
    config,
    seed,
    preset,
    backendKind: options.backend,
    resume,
    initialWeights,
    finalEvalSeed: seed + FINAL_EVAL_SEED_OFFSET,
    folder,
    save,
    video,
    checkpointEvery,
    finalEvalEpisodes,
    logEvery,
    notices,
  };
}

/**
 * The run folder: --out as given; with --resume and no --out, the checkpoint's folder; else
 * runs/<env>-<preset>-seed<seed>, numbered when taken.
 */
function chooseFolder(options: CliOptions, outGiven: boolean, config: BaseConfig, preset: string, seed: number, resumePath: string | null): FolderChoice {
  const checkpointFolder = resumePath === null ? null : resolve(dirname(resumePath));
  if (outGiven && options.out !== undefined) {
    if (options.out.trim() === '') throw new UsageError('--out: the path is empty');
    const path = resolve(options.out);
    return { path, shown: options.out, numbered: false, fresh: path !== checkpointFolder };
  }
  if (checkpointFolder !== null) return { path: checkpointFolder, shown: dirname(resumePath as string), numbered: false, fresh: false };
  const base = join('runs', `${config.env}-${preset}-seed${seed}`);
  return { path: resolve(base), shown: base, numbered: true, fresh: true };
}
