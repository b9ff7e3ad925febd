/** `--mode eval`: greedy episodes of saved weights, and a GIF of one. */
import { make } from '../envs/registry.js';
import type { DqnConfig } from '../rl/config.js';
import { QNetwork } from '../rl/q-network.js';
import { Rng } from '../random/rng.js';
import { describeBackend, openBackend } from './backend.js';
import { DEFAULT_WEIGHTS, loadPath, videoPath, type CliOptions } from './command.js';
import { say } from './console.js';
import { evaluatePolicy, summaryLine, writeEpisodeGif } from './evaluate.js';
import { loadWeights } from './weights.js';

export async function runEvaluation(options: CliOptions, config: DqnConfig): Promise<void> {
  const file = loadPath(options) ?? DEFAULT_WEIGHTS;
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
    const video = videoPath(options, config.env, options.seed);
    if (video !== null) await writeEpisodeGif(network, video, config.env, options.seed);
    network.dispose();
  } finally {
    backend.destroy();
  }
}
