/**
 * What a training run will do, settled before any work starts: the config, seed and preset (from
 * the flags, or from the checkpoint with --resume), the run folder and every file the run writes.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { validateConfig, type DqnConfig } from '../rl/config.js';
import { decodeTrainerCheckpoint, type TrainerCheckpoint } from '../rl/trainer-checkpoint.js';
import { DEFAULT_WEIGHTS, loadPath, videoPath, type CliOptions } from './command.js';
import { freshFolder, readInput } from './run-folder.js';

/** Offset from the run's seed to the seed of the final evaluation and the GIF's episode. */
export const FINAL_EVAL_SEED_OFFSET = 10_000;

export interface RunPlan {
  config: DqnConfig;
  seed: number;
  /** The preset the config started from (with --resume, the checkpoint's). */
  preset: string;
  /** The checkpoint --resume continues from, and its path; null for a fresh run. */
  resume: { path: string; checkpoint: TrainerCheckpoint } | null;
  /** Weights --load starts from (ignored with --resume), or null. */
  initialWeights: string | null;
  /** Seed of the final evaluation's first reset and of the GIF's episode. */
  finalEvalSeed: number;
  /** The run folder (absolute) and the files in it. */
  outDir: string;
  files: { checkpoint: string; metrics: string; evaluations: string; config: string; evalJson: string; weights: string };
  /** --save: the final weights, also written to files.weights. */
  save: string;
  /** The GIF of a greedy episode, or null with --no-video. */
  video: string | null;
}

/**
 * Settles the run from the flags. With --resume the checkpoint decides config, seed and preset;
 * only the budget (--steps, --episodes) may be extended by flags. Validates the config and claims
 * the run folder (a fresh one unless resuming into the checkpoint's own folder).
 */
export function planRun(program: Command, options: CliOptions, flagsConfig: DqnConfig): RunPlan {
  const resume = options.resume ? { path: options.resume, checkpoint: decodeTrainerCheckpoint(readInput(options.resume, '--resume'), options.resume) } : null;
  let config = flagsConfig;
  let seed = options.seed;
  let preset = options.preset;
  if (resume) {
    const { state, run } = resume.checkpoint;
    config = { ...state.config };
    if (program.getOptionValueSource('steps') === 'cli') config.steps = flagsConfig.steps;
    if (program.getOptionValueSource('episodes') === 'cli') config.episodes = flagsConfig.episodes;
    seed = state.seed;
    preset = run.preset;
  }
  validateConfig(config);
  const outDir = resume && !options.out ? resolve(dirname(resume.path)) : freshFolder(options.out ?? join('runs', `${config.env}-${preset}-seed${seed}`));
  mkdirSync(outDir, { recursive: true });
  const finalEvalSeed = seed + FINAL_EVAL_SEED_OFFSET;
  return {
    config,
    seed,
    preset,
    resume,
    initialWeights: loadPath(options),
    finalEvalSeed,
    outDir,
    files: {
      checkpoint: join(outDir, 'checkpoint.zip'),
      metrics: join(outDir, 'metrics.csv'),
      evaluations: join(outDir, 'evaluations.csv'),
      config: join(outDir, 'config.json'),
      evalJson: join(outDir, 'eval.json'),
      weights: join(outDir, DEFAULT_WEIGHTS),
    },
    save: options.save,
    video: videoPath(options, config.env, finalEvalSeed),
  };
}
