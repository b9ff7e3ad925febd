/**
 * `node bin/train.js`: trains a DQN agent (or evaluates saved weights) on either backend, leaving
 * weights, a checkpoint, metrics.csv, a learning-curve picture and an evaluation GIF behind.
 */
import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { BACKEND_KINDS, createBackend } from '../backend/create-backend.js';
import { envSpec, make } from '../envs/registry.js';
import { InvalidArgumentError } from '../errors.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { MetricsCsvAppender } from '../metrics/node/csv-appender.js';
import type { EpisodeMetrics } from '../metrics/csv-log.js';
import { PRESET_NAMES, validateConfig, type DqnConfig } from '../rl/config.js';
import type { DqnAgent } from '../rl/dqn-agent.js';
import { DqnTrainer } from '../rl/dqn-trainer.js';
import { QNetwork, qNetworkWeightShapes } from '../rl/q-network.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../rl/trainer-checkpoint.js';
import { decodeWeightsNpz, encodeWeightsNpz, inferMlpHiddenWidths } from '../rl/weights-file.js';
import { Rng } from '../random/rng.js';
import { evaluatePolicy, recordEpisodeGif, type EvaluationSummary } from './evaluate.js';
import { addConfigFlags, configFromOptions } from './options.js';
import { createProgressReporter } from './progress.js';
import { formatEvaluationsCsv, freshFolder, readEvaluations, readInput, readMetrics, writeLearningCurve, type EvaluationRow } from './run-folder.js';

const DEFAULT_WEIGHTS = 'dqn_weights.npz';
const SLICE_STEPS = 256;

interface CliOptions {
  mode: 'train' | 'eval';
  backend: string;
  seed: number;
  preset: string;
  load?: string | true;
  save: string;
  out?: string;
  resume?: string;
  checkpointEvery: number;
  finalEvalEpisodes: number;
  video: string | false;
  logEvery: number;
}

function nonNegativeInteger(flag: string) {
  return (value: string) => {
    const x = Number(value);
    if (!Number.isSafeInteger(x) || x < 0) throw new InvalidArgumentError(`${flag} expects a non-negative integer, got '${value}'`);
    return x;
  };
}

export function buildCommand(): Command {
  const program = new Command('train')
    .description('Train a DQN agent (or evaluate saved weights) with webgpu-rl-engine.')
    .addOption(new Option('--mode <mode>', 'train, or eval saved weights').choices(['train', 'eval']).default('train'))
    .addOption(new Option('--backend <kind>', 'compute backend (auto: WebGPU on a hardware adapter, else CPU)').choices(BACKEND_KINDS).default('auto'))
    .option('--seed <n>', 'seed of every random stream (weights, replay sampling, exploration, env resets)', nonNegativeInteger('--seed'), 0)
    .addOption(new Option('--preset <name>', 'hyper-parameter preset; flags given override it').choices(PRESET_NAMES).default('default'))
    .option('--load [file]', `start from saved weights (.npz; default file ${DEFAULT_WEIGHTS}); required by --mode eval`)
    .option('--save <file>', 'where training saves the final weights (.npz, numpy-rl-engine layout)', DEFAULT_WEIGHTS)
    .option('--out <dir>', 'folder for run artefacts (default runs/<env>-<preset>-seed<seed>, numbered if it exists)')
    .option('--resume <checkpoint>', 'continue a run exactly from its checkpoint.zip (config and seed come from the checkpoint)')
    .option('--checkpoint-every <steps>', 'write <out>/checkpoint.zip every N env steps (0 = only at the end)', nonNegativeInteger('--checkpoint-every'), 10_000)
    .option('--final-eval-episodes <n>', 'greedy episodes evaluated after training, or in --mode eval', nonNegativeInteger('--final-eval-episodes'), 100)
    .option('--video <file>', 'GIF of one greedy episode (default videos/<env>-seed<seed>.gif)')
    .option('--no-video', 'do not write the GIF')
    .option('--log-every <episodes>', 'episodes between log lines when stdout is not a terminal', nonNegativeInteger('--log-every'), 10)
    .showHelpAfterError('(run with --help for every flag)');
  addConfigFlags(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCommand();
  program.parse(argv);
  const options = program.opts<CliOptions>();
  const config = configFromOptions(program, options.preset);
  if (options.mode === 'eval') {
    await runEvaluation(options, config);
  } else {
    await runTraining(program, options, config);
  }
}

function say(text: string): void {
  process.stdout.write(text + '\n');
}

async function openBackend(kind: string): Promise<Backend> {
  // createBackend's rule: 'auto' trains on the CPU (faster) when the only WebGPU adapter is a software one.
  const backend = await createBackend(kind, { onNotice: (message) => process.stderr.write(message + '\n') });
  return backend;
}

function describeBackend(backend: Backend): string {
  const description = (backend as { adapterDescription?: string }).adapterDescription;
  return description ? `${backend.name} (${description})` : backend.name;
}

function videoPath(options: CliOptions, env: string, seed: number): string | null {
  if (options.video === false) return null;
  return typeof options.video === 'string' ? options.video : join('videos', `${env}-seed${seed}.gif`);
}

/** Reads a weights file for a network built from `config` (hidden sizes inferred from the file for plain MLPs). */
function loadWeights(path: string, config: DqnConfig, obsDim: number, nActions: number): { arrays: Float64Array[]; hidden: number[] } {
  const bytes = readInput(path, '--load');
  // The file says how wide the layers are: W1 (obs, h1), b1, W2 (h1, h2), ...
  const hidden = (!config.dueling && inferMlpHiddenWidths(bytes, path)) || config.hidden;
  const shapes = qNetworkWeightShapes({ obsDim, nActions, hidden, dueling: config.dueling });
  return { arrays: decodeWeightsNpz(bytes, shapes, path), hidden };
}

function summaryLine(s: EvaluationSummary): string {
  return `greedy evaluation over ${s.episodes} episodes: mean return ${s.mean.toFixed(2)} +/- ${s.std.toFixed(2)} (min ${s.min}, max ${s.max})`;
}

async function writeGif(policy: Pick<DqnAgent, 'qValues' | 'nActions'>, options: CliOptions, env: string, seed: number): Promise<void> {
  const path = videoPath(options, env, seed);
  if (path === null) return;
  const started = performance.now();
  const { gif, return: ret, frames } = await recordEpisodeGif(policy, env, seed);
  mkdirSync(dirname(resolve(path)), { recursive: true });
  await writeFileAtomic(path, gif);
  say(`video: ${path} (${frames} frames, return ${ret}, ${(gif.length / 1024).toFixed(0)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

async function runEvaluation(options: CliOptions, config: DqnConfig): Promise<void> {
  const file = typeof options.load === 'string' ? options.load : DEFAULT_WEIGHTS;
  const probeEnv = make(config.env);
  const obsDim = probeEnv.obsDim;
  const nActions = probeEnv.actionSpace.n;
  const { arrays, hidden } = loadWeights(file, config, obsDim, nActions);
  const backend = await openBackend(options.backend);
  try {
    const network = new QNetwork(backend, { obsDim, nActions, hidden, activation: config.activation, init: config.init, dueling: config.dueling }, new Rng(options.seed));
    network.setWeights(arrays);
    say(`evaluating ${file} (${obsDim}-${hidden.join('-')}-${nActions}${config.dueling ? ' dueling' : ''}) on ${config.env}, backend ${describeBackend(backend)}, seed ${options.seed}`);
    const episodes = Math.max(1, options.finalEvalEpisodes);
    const summary = await evaluatePolicy(network, config.env, episodes, options.seed);
    say(`returns: ${summary.returns.join(' ')}`);
    say(summaryLine(summary));
    await writeGif(network, options, config.env, options.seed);
    network.dispose();
  } finally {
    backend.destroy();
  }
}

async function runTraining(program: Command, options: CliOptions, flagsConfig: DqnConfig): Promise<void> {
  // With --resume the checkpoint decides config and seed; only the budget may be extended by flags.
  const resumed = options.resume ? decodeTrainerCheckpoint(readInput(options.resume, '--resume'), options.resume) : null;
  let config = flagsConfig;
  let seed = options.seed;
  if (resumed) {
    config = { ...resumed.config };
    if (program.getOptionValueSource('steps') === 'cli') config.steps = flagsConfig.steps;
    if (program.getOptionValueSource('episodes') === 'cli') config.episodes = flagsConfig.episodes;
    seed = resumed.seed;
  }
  validateConfig(config);
  const spec = envSpec(config.env);
  const outDir = resumed && !options.out ? resolve(dirname(options.resume as string)) : freshFolder(options.out ?? join('runs', `${config.env}-${options.preset}-seed${seed}`));
  mkdirSync(outDir, { recursive: true });

  const backend = await openBackend(options.backend);
  const metricsPath = join(outDir, 'metrics.csv');
  const rows: EpisodeMetrics[] = resumed ? readMetrics(metricsPath).filter((r) => r.episode <= resumed.episodes) : [];
  const evaluationsPath = join(outDir, 'evaluations.csv');
  const evaluations: EvaluationRow[] = resumed ? readEvaluations(evaluationsPath).filter((e) => e.steps <= resumed.steps) : [];
  const csv = new MetricsCsvAppender(metricsPath);
  for (const row of rows) csv.append(row);
  const budget = { steps: config.steps, episodes: config.episodes };
  const progress = createProgressReporter(budget, process.stdout, Math.max(1, options.logEvery));
  const trainer = new DqnTrainer(backend, config, seed, {
    onEpisode: (log) => {
      const row: EpisodeMetrics = { episode: log.episode, steps: log.steps, return: log.return, length: log.length, epsilon: log.epsilon, loss: log.loss, wallTimeS: log.wallTime };
      rows.push(row);
      csv.append(row);
      progress.episode(log);
    },
    onEvaluation: async (log) => {
      evaluations.push({ steps: log.steps, meanReturn: log.meanReturn, stdReturn: log.stdReturn });
      await writeFileAtomic(evaluationsPath, formatEvaluationsCsv(evaluations));
      progress.evaluation(log);
    },
  });
  const checkpointPath = join(outDir, 'checkpoint.zip');

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) {
      progress.stop();
      process.stderr.write('\nstopped without saving (saved files are intact)\n');
      process.exit(130);
    }
    stopRequested = true;
    progress.message('Ctrl-C: stopping to save a checkpoint and the weights (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);

  try {
    if (resumed) {
      trainer.restore(resumed);
      progress.message(`resumed from ${options.resume} at step ${resumed.steps}, episode ${resumed.episodes}`);
    } else if (options.load !== undefined) {
      const file = typeof options.load === 'string' ? options.load : DEFAULT_WEIGHTS;
      const { arrays } = loadWeights(file, config, trainer.env.obsDim, trainer.env.actionSpace.n);
      trainer.agent.online.setWeights(arrays);
      trainer.agent.syncTarget();
    }
    say(
      `training DQN on ${config.env} | preset ${options.preset} | seed ${seed} | backend ${describeBackend(backend)} | ` +
        `net ${trainer.env.obsDim}-${config.hidden.join('-')}-${trainer.env.actionSpace.n}${config.dueling ? ' dueling' : ''}${config.doubleDqn ? ' double' : ''} | ` +
        `${config.steps > 0 ? `${config.steps} steps` : `${config.episodes} episodes`} | ${trainer.schedule.describe()}`,
    );
    say(`run folder: ${relative(process.cwd(), outDir) || '.'}`);
    await writeFileAtomic(join(outDir, 'config.json'), JSON.stringify({ seed, preset: options.preset, backend: backend.name, ...config }, null, 2) + '\n');

    const saveCheckpoint = async () => {
      await writeFileAtomic(checkpointPath, encodeTrainerCheckpoint(await trainer.getState()));
    };
    const every = options.checkpointEvery;
    let nextCheckpoint = every > 0 ? (Math.floor(trainer.steps / every) + 1) * every : Number.POSITIVE_INFINITY;
    const started = performance.now();
    const startSteps = trainer.steps;
    while (!trainer.done && !stopRequested) {
      // Slices of a few hundred steps, yielding to the event loop in between so Ctrl-C is heard
      // promptly (the CPU backend's reads resolve as microtasks, which never let signals in).
      await trainer.run(SLICE_STEPS, () => stopRequested || trainer.steps >= nextCheckpoint);
      await new Promise<void>((resolveYield) => setImmediate(resolveYield));
      if (trainer.steps >= nextCheckpoint) {
        await saveCheckpoint();
        while (nextCheckpoint <= trainer.steps) nextCheckpoint += every;
      }
    }
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    say(
      `${stopRequested ? 'stopped' : 'finished'}: ${trainer.steps} steps, ${trainer.episodes} episodes, ${trainer.updates} updates in ${seconds.toFixed(1)} s ` +
        `(${((trainer.steps - startSteps) / Math.max(seconds, 1e-9)).toFixed(0)} steps/s); mean return of the last 100 episodes ${trainer.meanReturn100.toFixed(1)}`,
    );
    await saveCheckpoint();
    say(`checkpoint: ${relative(process.cwd(), checkpointPath)}${stopRequested ? ` (continue with --resume ${relative(process.cwd(), checkpointPath)})` : ''}`);

    const weights = await trainer.finalWeights();
    if (trainer.bestWeights) {
      say(`keeping the best evaluated weights: those of step ${trainer.bestSteps} (mean return ${trainer.bestMeanReturn.toFixed(1)} over ${config.evalEpisodes} episodes)`);
    }
    const npz = encodeWeightsNpz(weights, trainer.agent.online.weightShapes());
    await writeFileAtomic(options.save, npz);
    await writeFileAtomic(join(outDir, DEFAULT_WEIGHTS), npz);
    say(`weights: ${options.save} (also in the run folder)`);

    csv.close();
    const curve = await writeLearningCurve(outDir, `${options.preset} seed ${seed}`, rows, evaluations, `DQN on ${config.env} (${options.preset} preset, ${backend.name})`, spec.rewardThreshold);
    say(`learning curve: ${relative(process.cwd(), curve)}`);

    if (!stopRequested) {
      trainer.agent.online.setWeights(weights);
      const evalSeed = seed + 10_000;
      if (options.finalEvalEpisodes > 0) {
        const summary = await evaluatePolicy(trainer.agent, config.env, options.finalEvalEpisodes, evalSeed);
        say(summaryLine(summary));
        if (spec.rewardThreshold !== null) say(summary.mean >= spec.rewardThreshold ? `solved: mean ${summary.mean.toFixed(1)} >= ${spec.rewardThreshold}` : `not solved: mean ${summary.mean.toFixed(1)} < ${spec.rewardThreshold}`);
        await writeFileAtomic(join(outDir, 'eval.json'), JSON.stringify({ ...summary, steps: trainer.steps, weightsFromStep: trainer.bestWeights ? trainer.bestSteps : trainer.steps, wallTimeS: seconds, backend: backend.name }, null, 2) + '\n');
      }
      await writeGif(trainer.agent, options, config.env, evalSeed);
    }
  } finally {
    process.off('SIGINT', onSigint);
    csv.close();
    trainer.dispose();
    backend.destroy();
  }
  if (stopRequested) process.exitCode = 130;
}

