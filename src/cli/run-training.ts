/**
 * `--mode train`: one training run, step by step:
 *   planRun (run-plan.ts) -> open the backend and the records -> build the trainer and its start
 *   weights -> banner and config.json -> train in slices with checkpoints until done or Ctrl-C ->
 *   save checkpoint, weights and learning curve -> final greedy evaluation and GIF.
 */
import type { Command } from 'commander';
import { relative } from 'node:path';
import type { Backend, FloatArray } from '../backend/backend.js';
import { envSpec } from '../envs/registry.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import type { DqnConfig } from '../rl/config.js';
import { DqnTrainer } from '../rl/dqn-trainer.js';
import { encodeTrainerCheckpoint } from '../rl/trainer-checkpoint.js';
import { encodeWeightsNpz } from '../rl/weights-file.js';
import { describeBackend, openBackend } from './backend.js';
import type { CliOptions } from './command.js';
import { say } from './console.js';
import { evaluatePolicy, summaryLine, writeEpisodeGif } from './evaluate.js';
import { createProgressReporter, type ProgressReporter } from './progress.js';
import { writeLearningCurve } from './run-folder.js';
import { planRun, type RunPlan } from './run-plan.js';
import { RunRecords } from './run-records.js';
import { StopSignal } from './stop-signal.js';
import { loadWeights } from './weights.js';

/** Env steps per slice of the loop: between slices, Ctrl-C is heard and checkpoints are written. */
const SLICE_STEPS = 256;

export async function runTraining(program: Command, options: CliOptions, flagsConfig: DqnConfig): Promise<void> {
  const plan = planRun(program, options, flagsConfig);
  const backend = await openBackend(options.backend);
  const records = new RunRecords(plan.files, plan.resume?.checkpoint.state ?? null);
  const progress = createProgressReporter(plan.config, process.stdout, Math.max(1, options.logEvery));
  const trainer = new DqnTrainer(backend, plan.config, plan.seed, {
    onEpisode: (log) => {
      records.addEpisode(log);
      progress.episode(log);
    },
    onEvaluation: async (log) => {
      await records.addEvaluation(log);
      progress.evaluation(log);
    },
  });
  const stop = new StopSignal(
    (text) => progress.message(text),
    () => progress.stop(),
  );
  try {
    setStartWeights(trainer, plan, progress);
    await announceRun(trainer, plan, backend);
    const { seconds, stepsTaken } = await trainInSlices(trainer, plan, options.checkpointEvery, stop);
    progress.stop();
    say(
      `${stop.requested ? 'stopped' : 'finished'}: ${trainer.steps} steps, ${trainer.episodes} episodes, ${trainer.updates} updates in ${seconds.toFixed(1)} s ` +
        `(${(stepsTaken / Math.max(seconds, 1e-9)).toFixed(0)} steps/s); mean return of the last 100 episodes ${trainer.meanReturn100.toFixed(1)}`,
    );
    await saveCheckpoint(trainer, plan);
    say(`checkpoint: ${relative(process.cwd(), plan.files.checkpoint)}${stop.requested ? ` (continue with --resume ${relative(process.cwd(), plan.files.checkpoint)})` : ''}`);
    const weights = await saveWeights(trainer, plan);
    records.close();
    await saveLearningCurve(plan, records, backend);
    if (!stop.requested) {
      trainer.agent.online.setWeights(weights);
      await finalEvaluation(trainer, plan, options.finalEvalEpisodes, backend, seconds);
    }
  } finally {
    stop.dispose();
    records.close();
    trainer.dispose();
    backend.destroy();
  }
  if (stop.requested) process.exitCode = 130;
}

/** Resumes from the checkpoint, or starts from --load's weights (online and target), or from fresh weights. */
function setStartWeights(trainer: DqnTrainer, plan: RunPlan, progress: ProgressReporter): void {
  if (plan.resume) {
    const { state } = plan.resume.checkpoint;
    trainer.restore(state);
    progress.message(`resumed from ${plan.resume.path} at step ${state.steps}, episode ${state.episodes}`);
  } else if (plan.initialWeights !== null) {
    const { arrays } = loadWeights(plan.initialWeights, plan.config, trainer.envs.obsDim, trainer.envs.nActions);
    trainer.agent.online.setWeights(arrays);
    trainer.agent.syncTarget();
  }
}

/** The banner, the run folder, and config.json. */
async function announceRun(trainer: DqnTrainer, plan: RunPlan, backend: Backend): Promise<void> {
  const { config, seed, preset } = plan;
  say(
    `training DQN on ${config.env} | preset ${preset} | seed ${seed} | backend ${describeBackend(backend)} | ` +
      `net ${trainer.envs.obsDim}-${config.hidden.join('-')}-${trainer.envs.nActions}${config.dueling ? ' dueling' : ''}${config.doubleDqn ? ' double' : ''} | ` +
      `${config.numEnvs > 1 ? `${config.numEnvs} envs${config.actingGroups > 1 ? ` in ${config.actingGroups} acting groups` : ''} | ` : ''}` +
      `${config.steps > 0 ? `${config.steps} steps` : `${config.episodes} episodes`} | ${trainer.schedule.describe()}`,
  );
  say(`run folder: ${relative(process.cwd(), plan.outDir) || '.'}`);
  await writeFileAtomic(plan.files.config, JSON.stringify({ seed, preset, backend: backend.name, ...config }, null, 2) + '\n');
}

/**
 * Trains until the budget is spent or a stop is asked for, writing a checkpoint every
 * `checkpointEvery` env steps (0: none until the end). Returns the time taken and the steps taken.
 */
async function trainInSlices(trainer: DqnTrainer, plan: RunPlan, checkpointEvery: number, stop: StopSignal): Promise<{ seconds: number; stepsTaken: number }> {
  let nextCheckpoint = checkpointEvery > 0 ? (Math.floor(trainer.steps / checkpointEvery) + 1) * checkpointEvery : Number.POSITIVE_INFINITY;
  const started = performance.now();
  const startSteps = trainer.steps;
  while (!trainer.done && !stop.requested) {
    // Slices of a few hundred steps, yielding to the event loop in between so Ctrl-C is heard
    // promptly (the CPU backend's reads resolve as microtasks, which never let signals in).
    await trainer.run(SLICE_STEPS, () => stop.requested || trainer.steps >= nextCheckpoint);
    await new Promise<void>((resolveYield) => setImmediate(resolveYield));
    if (trainer.steps >= nextCheckpoint) {
      await saveCheckpoint(trainer, plan);
      while (nextCheckpoint <= trainer.steps) nextCheckpoint += checkpointEvery;
    }
  }
  return { seconds: (performance.now() - started) / 1000, stepsTaken: trainer.steps - startSteps };
}

async function saveCheckpoint(trainer: DqnTrainer, plan: RunPlan): Promise<void> {
  await writeFileAtomic(plan.files.checkpoint, encodeTrainerCheckpoint(await trainer.getState(), { preset: plan.preset }));
}

/** Writes the weights to keep (the best evaluated, else the latest) to --save and the run folder; returns them. */
async function saveWeights(trainer: DqnTrainer, plan: RunPlan): Promise<FloatArray[]> {
  const weights = await trainer.finalWeights();
  if (trainer.bestWeights) {
    say(`keeping the best evaluated weights: those of step ${trainer.bestSteps} (mean return ${trainer.bestMeanReturn.toFixed(1)} over ${plan.config.evalEpisodes} episodes)`);
  }
  const npz = encodeWeightsNpz(weights, trainer.agent.online.weightShapes());
  await writeFileAtomic(plan.save, npz);
  await writeFileAtomic(plan.files.weights, npz);
  say(`weights: ${plan.save} (also in the run folder)`);
  return weights;
}

async function saveLearningCurve(plan: RunPlan, records: RunRecords, backend: Backend): Promise<void> {
  const { config, preset, seed } = plan;
  const title = `DQN on ${config.env} (${preset} preset, ${backend.name})`;
  const curve = await writeLearningCurve(plan.outDir, `${preset} seed ${seed}`, records.episodes, records.evaluations, title, envSpec(config.env).rewardThreshold);
  say(`learning curve: ${relative(process.cwd(), curve)}`);
}

/** Greedy episodes of the kept weights (eval.json), then the GIF of one. */
async function finalEvaluation(trainer: DqnTrainer, plan: RunPlan, episodes: number, backend: Backend, trainingSeconds: number): Promise<void> {
  const { config, finalEvalSeed } = plan;
  if (episodes > 0) {
    const threshold = envSpec(config.env).rewardThreshold;
    const summary = await evaluatePolicy(trainer.agent, config.env, episodes, finalEvalSeed);
    say(summaryLine(summary));
    if (threshold !== null) say(summary.mean >= threshold ? `solved: mean ${summary.mean.toFixed(1)} >= ${threshold}` : `not solved: mean ${summary.mean.toFixed(1)} < ${threshold}`);
    const weightsFromStep = trainer.bestWeights ? trainer.bestSteps : trainer.steps;
    await writeFileAtomic(plan.files.evalJson, JSON.stringify({ ...summary, steps: trainer.steps, weightsFromStep, wallTimeS: trainingSeconds, backend: backend.name }, null, 2) + '\n');
  }
  if (plan.video !== null) await writeEpisodeGif(trainer.agent, plan.video, config.env, finalEvalSeed);
}
