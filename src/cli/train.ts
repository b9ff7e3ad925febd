/**
 * `node bin/train.js`: trains an agent (DQN, PQN or PPO: rl/algorithms.ts) or evaluates saved weights
 * on either backend, leaving weights, a checkpoint, metrics.csv, a learning-curve picture and an
 * evaluation GIF behind.
 *
 * Where things are: the flags in command.ts (run flags) and config-flags.ts (one per config
 * field of any algorithm); a training run in run-training.ts (its plan and every up-front check in
 * run-plan.ts); --mode eval in run-evaluation.ts; --mode export in run-export.ts; exit codes and error lines in cli-errors.ts;
 * signals in stop-signal.ts.
 */
import type { Command } from 'commander';
import { EXIT_USAGE, UsageError, asUsage, reportFailure } from './cli-errors.js';
import { errorMessage } from '../errors.js';
import { openCheckpoint, type OpenedCheckpoint } from '../io/checkpoint.js';
import { checkAlgorithmName, checkpointAlgorithm, presetOwner, withAlgorithm, type AlgorithmName } from '../rl/algorithms.js';
import { buildCommand, loadPath, weightsFileName, type CliOptions } from './command.js';
import { checkFlagsBelongTo, configFromOptions } from './config-flags.js';
import { checkWorkingFolder, readInputFile } from './output-paths.js';
import { checkpointEnvRecord, envCheckTimeout, loadEnvFlagModule, loadRecordedEnv } from './env-module-check.js';
import { readWeightsFile } from '../rl/weights-file.js';
import { guardStandardStreams, warn } from './console.js';
import { runEvaluation } from './run-evaluation.js';
import { refuseExportFlag, runExport } from './run-export.js';
import { runTraining } from './run-training.js';

/** Runs the CLI; sets process.exitCode (0, 1, 2, or 128 + a signal's number: see cli-errors.ts). */
export async function main(argv: string[]): Promise<void> {
  guardStandardStreams();
  let code: number;
  try {
    checkWorkingFolder();
    // --env naming a module: checked (checkEnv in a worker), loaded and registered before the flags are parsed, so --env's choices and the presets know its id.
    const args = await loadEnvFlagModule(argv);
    const program = buildCommand();
    program.parse(args);
    const options = program.opts<CliOptions>();
    if (options.mode === 'export') {
      process.exitCode = await runExport(program, options);
      return;
    }
    refuseExportFlag(program, options);
    const resume = options.resume !== undefined && options.mode === 'train' ? await asUsage(() => openCheckpoint(readInputFile(options.resume as string, '--resume'), options.resume)) : null;
    // A checkpoint of a custom env finds it again where its run recorded it (unless --env loaded it).
    if (resume !== null) {
      const recorded = checkpointEnvRecord(resume.meta);
      await loadRecordedEnv(recorded.env, recorded.source, `--resume '${resume.fileName}'`, envCheckTimeout(argv));
    }
    const { algo, why } = await asUsage(() => chooseAlgorithm(program, options, resume));
    code = await withAlgorithm(algo, async (entry) => {
      // Weights of a custom env (--mode eval, --load) find its module as a checkpoint does.
      if (resume === null && (options.mode === 'eval' || options.load !== undefined)) await loadWeightsEnv(loadPath(options, entry.name) ?? weightsFileName(entry.name), envCheckTimeout(argv));
      let config;
      try {
        checkFlagsBelongTo(entry, program, why);
        // Without --preset: the algorithm's preset for the env (DQN's vector flavour with --backend webgpu).
        options.preset ??= entry.presetFor(program.opts<{ env: string }>().env, options.backend);
        if (!entry.presetNames.includes(options.preset)) throw new UsageError(`--preset ${options.preset} is a preset of ${presetOwner(options.preset)}, not of ${entry.name} (${why}); its presets are ${entry.presetNames.join(', ')}`);
        config = configFromOptions(entry, program, options.preset);
      } catch (error) {
        warn(`error: ${errorMessage(error)}\n`);
        return EXIT_USAGE;
      }
      return options.mode === 'eval' ? runEvaluation(entry, program, options, config) : runTraining(entry, program, options, config, resume);
    });
  } catch (error) {
    code = reportFailure(error, warn);
  }
  process.exitCode = code;
}

/** Loads the custom env a weights file's network records (env, envSource) when it is not registered; an unreadable file is left to the weights reader's own errors. */
async function loadWeightsEnv(path: string, timeoutS: number): Promise<void> {
  let network;
  try {
    network = readWeightsFile(readInputFile(path, '--load'), path).network;
  } catch {
    return;
  }
  if (network === null) return;
  await loadRecordedEnv(network.env ?? null, network.envSource ?? null, `--load '${path}'`, timeoutS);
}

/**
 * The algorithm a run trains, and why (for messages): a resumed run's is its checkpoint's; else
 * --algo's; else the one --preset's preset belongs to; else the default. An --algo that disagrees
 * with the checkpoint or the preset is refused.
 */
function chooseAlgorithm(program: Command, options: CliOptions, resume: OpenedCheckpoint | null): { algo: AlgorithmName; why: string } {
  const algoGiven = program.getOptionValueSource('algo') === 'cli';
  if (resume !== null) {
    const algo = checkpointAlgorithm(resume);
    if (algoGiven && options.algo !== algo) throw new UsageError(`--algo ${options.algo} conflicts with --resume '${resume.fileName}', a ${algo} checkpoint; leave --algo out`);
    return { algo, why: `the checkpoint's algorithm` };
  }
  const owner = options.preset === undefined ? null : presetOwner(options.preset);
  if (algoGiven) return { algo: checkAlgorithmName(options.algo), why: `--algo ${options.algo}` };
  if (owner !== null) return { algo: owner, why: `the algorithm of --preset ${options.preset}` };
  return { algo: checkAlgorithmName(options.algo), why: `the default algorithm; --algo chooses another` };
}
