/** The `train` command: its run flags (mode, backend, files, ...) plus one flag per config field (config-flags.ts). */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { BACKEND_KINDS } from '../backend/create-backend.js';
import { ALGORITHMS, ALGORITHM_NAMES, DEFAULT_ALGORITHM, type AlgorithmName } from '../rl/algorithms.js';
import { addConfigFlags } from './config-flags.js';
import { ENV_CHECK_TIMEOUT_S, parseEnvCheckTimeout } from './env-module-check.js';
import { nonNegativeIntegerFlag } from './flag-parsers.js';

/** Where --save writes by default, what a bare --load reads, and the run folder's copy: `<algo>_weights.npz` (dqn_weights.npz as numpy-rl-engine named it). */
export function weightsFileName(algo: string): string {
  return `${algo}_weights.npz`;
}

/** Where --mode export writes the ONNX model when no --export names a file. */
export const DEFAULT_EXPORT_FILE = 'policy.onnx';

/** The run flags, as commander parses them. */
export interface CliOptions {
  mode: 'train' | 'eval' | 'export';
  algo: AlgorithmName;
  backend: string;
  seed: number;
  preset: string;
  load?: string | true;
  save?: string;
  out?: string;
  resume?: string;
  checkpointEvery: number;
  finalEvalEpisodes: number;
  video: string | false;
  logEvery: number;
  /** Seconds checkEnv may take on a custom env module (env-module-check.ts). */
  envCheckTimeout: number;
  export: string;
}

export function buildCommand(): Command {
  const program = new Command('train')
    .description('Train an agent (DQN, PQN or PPO) or evaluate saved weights with webgpu-rl-engine.')
    .addOption(new Option('--mode <mode>', 'train, eval saved weights, or export them as an ONNX model (--load FILE --export FILE)').choices(['train', 'eval', 'export']).default('train'))
    .addOption(
      new Option('--algo <name>', `algorithm (default: the one --preset or --resume names, else ${DEFAULT_ALGORITHM}): ${ALGORITHM_NAMES.map((name) => `${name} (${ALGORITHMS[name].summary})`).join('; ')}`).choices(ALGORITHM_NAMES).default(DEFAULT_ALGORITHM),
    )
    .addOption(new Option('--backend <kind>', 'compute backend (auto: WebGPU on a hardware adapter, else CPU)').choices(BACKEND_KINDS).default('auto'))
    .option('--seed <n>', 'seed of every random stream (weights, replay sampling or minibatch shuffles, exploration, env resets)', nonNegativeIntegerFlag('--seed'), 0)
    .addOption(
      new Option('--preset <name>', "hyper-parameter preset; flags given override it (default: the algorithm's preset for the env, DQN's vector flavour with --backend webgpu)").choices(
        ALGORITHM_NAMES.flatMap((name) => ALGORITHMS[name].presetNames),
      ),
    )
    .option('--load [file]', `start from saved weights (.npz; default file ${weightsFileName('<algo>')}); required by --mode eval`)
    .option('--save <file>', `where training saves the final weights (.npz, numpy-rl-engine layout; default ${weightsFileName('<algo>')}: ${ALGORITHM_NAMES.map(weightsFileName).join(', ')})`)
    .option('--out <dir>', 'folder for run artefacts (default runs/<env>-<preset>-seed<seed>, numbered if taken); a given folder is used as it is, and refused if it holds another run')
    .option('--resume <checkpoint>', 'continue a run exactly from its checkpoint.zip (config and seed come from the checkpoint)')
    .option('--checkpoint-every <steps>', 'write <out>/checkpoint.zip every N env steps (0 = only at the end)', nonNegativeIntegerFlag('--checkpoint-every'), 10_000)
    .option('--final-eval-episodes <n>', 'greedy episodes evaluated after training, or in --mode eval', nonNegativeIntegerFlag('--final-eval-episodes'), 100)
    .option('--video <file>', 'GIF of one greedy episode (default videos/<env>-seed<seed>.gif)')
    .option('--no-video', 'do not write the GIF')
    .option(
      '--env-check-timeout <seconds>',
      'with --env naming a module: seconds checkEnv may take on it (in a worker) before the run stops naming the method that did not return',
      parseEnvCheckTimeout,
      ENV_CHECK_TIMEOUT_S,
    )
    .option('--export <file>', `--mode export: where the ONNX model of --load's policy is written (default ${DEFAULT_EXPORT_FILE}; docs/export.md)`, DEFAULT_EXPORT_FILE)
    .option('--log-every <episodes>', 'episodes between log lines when stdout is not a terminal', nonNegativeIntegerFlag('--log-every'), 10)
    // Commander's errors on one line, and thrown (exit code 2, cli-errors.ts) rather than exiting.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`${text.trimEnd()} (--help lists every flag)\n`) });
  addConfigFlags(program);
  return program;
}

/** The weights file --load names (a bare --load means `algo`'s weightsFileName), or null without --load. */
export function loadPath(options: Pick<CliOptions, 'load'>, algo: string): string | null {
  if (options.load === undefined) return null;
  return typeof options.load === 'string' ? options.load : weightsFileName(algo);
}

/** The GIF's file name when no --video names one: <env>-seed<seed>.gif. */
export function videoFileName(env: string, seed: number): string {
  return `${env}-seed${seed}.gif`;
}

/** The GIF path --video names (default videos/<env>-seed<seed>.gif), or null with --no-video. */
export function videoPath(options: Pick<CliOptions, 'video'>, env: string, seed: number): string | null {
  if (options.video === false) return null;
  return typeof options.video === 'string' ? options.video : join('videos', videoFileName(env, seed));
}
