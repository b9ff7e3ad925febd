/**
 * `node bin/train.js`: trains a DQN agent (or evaluates saved weights) on either backend, leaving
 * weights, a checkpoint, metrics.csv, a learning-curve picture and an evaluation GIF behind.
 *
 * Where things are: the flags in command.ts (run flags) and config-flags.ts (one per config
 * field); a training run in run-training.ts (its plan and every up-front check in run-plan.ts);
 * --mode eval in run-evaluation.ts; exit codes and error lines in cli-errors.ts; signals in
 * stop-signal.ts.
 */
import { EXIT_USAGE, reportFailure } from './cli-errors.js';
import { errorMessage } from '../errors.js';
import { algorithm } from '../rl/algorithms.js';
import type { DqnConfig } from '../rl/config.js';
import { buildCommand, type CliOptions } from './command.js';
import { configFromOptions } from './config-flags.js';
import { checkWorkingFolder } from './output-paths.js';
import { guardStandardStreams, warn } from './console.js';
import { runEvaluation } from './run-evaluation.js';
import { runTraining } from './run-training.js';

/** Runs the CLI; sets process.exitCode (0, 1, 2, or 128 + a signal's number: see cli-errors.ts). */
export async function main(argv: string[]): Promise<void> {
  guardStandardStreams();
  let code: number;
  try {
    checkWorkingFolder();
    const program = buildCommand();
    program.parse(argv);
    const options = program.opts<CliOptions>();
    // Without --preset: the algorithm's preset for the env, in its vector flavour with --backend webgpu.
    options.preset ??= algorithm(options.algo).presetFor(program.opts<Pick<DqnConfig, 'env'>>().env, options.backend);
    let config;
    try {
      config = configFromOptions(program, options.preset);
    } catch (error) {
      warn(`error: ${errorMessage(error)}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    code = options.mode === 'eval' ? await runEvaluation(program, options, config) : await runTraining(program, options, config);
  } catch (error) {
    code = reportFailure(error, warn);
  }
  process.exitCode = code;
}
