/**
 * `node bin/train.js`: trains a DQN agent (or evaluates saved weights) on either backend, leaving
 * weights, a checkpoint, metrics.csv, a learning-curve picture and an evaluation GIF behind.
 *
 * Where things are: the flags in command.ts (run flags) and config-flags.ts (one per config
 * field); a training run in run-training.ts (its plan in run-plan.ts); --mode eval in
 * run-evaluation.ts.
 */
import { presetFor, type DqnConfig } from '../rl/config.js';
import { buildCommand, type CliOptions } from './command.js';
import { configFromOptions } from './config-flags.js';
import { runEvaluation } from './run-evaluation.js';
import { runTraining } from './run-training.js';

export async function main(argv: string[]): Promise<void> {
  const program = buildCommand();
  program.parse(argv);
  const options = program.opts<CliOptions>();
  // Without --preset: the env's own preset, in its vector flavour with --backend webgpu.
  options.preset ??= presetFor(program.opts<Pick<DqnConfig, 'env'>>().env, options.backend);
  const config = configFromOptions(program, options.preset);
  if (options.mode === 'eval') {
    await runEvaluation(options, config);
  } else {
    await runTraining(program, options, config);
  }
}
