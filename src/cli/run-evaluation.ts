/**
 * `--mode eval`: greedy episodes of saved weights, and a GIF of one. The weights file is read and
 * checked in full (shapes, finite values, the network it records against the flags) and the GIF's
 * path checked before the backend opens; a bad one is refused with exit code 2. The network is the
 * file's (a DQN, QR-DQN or PQN Q-network, or PPO's actor, whatever --algo says); a file that records none
 * (numpy-rl-engine's) gets the chosen algorithm's, its widths read from the W shapes.
 */
import type { Command } from 'commander';
import { envSizes } from '../envs/registry.js';
import type { AlgorithmEntry } from '../rl/algorithms.js';
import { playableNetwork } from '../rl/playable-network.js';
import type { BaseConfig, BaseState } from '../rl/trainer.js';
import { describeBackend, openBackend } from './backend.js';
import { asUsage } from './cli-errors.js';
import { loadPath, videoPath, weightsFileName, type CliOptions } from './command.js';
import { say } from './console.js';
import { evaluatePolicy, showReturn, summaryLine, writeEpisodeGif } from './evaluate.js';
import { checkDistinctPaths, checkOutputFile, readInputFile } from './output-paths.js';
import { readWeightsFor } from './weights.js';

export async function runEvaluation<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, program: Command, options: CliOptions, config: C): Promise<number> {
  const given = (key: string) => program.getOptionValueSource(key) === 'cli';
  const file = loadPath(options, entry.name) ?? weightsFileName(entry.name);
  const { arrays, network, video } = await asUsage(() => {
    const loaded = readWeightsFor(entry, readInputFile(file, '--load'), file, '--load', config, given);
    const gif = videoPath(options, loaded.network.env, options.seed);
    if (gif === null) return { ...loaded, video: null };
    checkDistinctPaths([{ flag: '--load', path: file }], [{ flag: '--video', path: gif }]);
    return { ...loaded, video: checkOutputFile(gif, '--video') };
  });
  const { obsDim, nActions, box } = envSizes(network.env);
  const backend = await openBackend(options.backend);
  try {
    const policy = playableNetwork(backend, network, obsDim, nActions, box);
    policy.setWeights(arrays);
    say(`evaluating ${file} (${policy.description}) ${network.activation} on ${network.env}, backend ${describeBackend(backend)}, seed ${options.seed}`);
    const episodes = Math.max(1, options.finalEvalEpisodes);
    const summary = await evaluatePolicy(policy, network.env, episodes, options.seed);
    say(`returns: ${summary.returns.map(showReturn).join(' ')}`);
    say(summaryLine(summary));
    if (video !== null) await writeEpisodeGif(policy, video, network.env, options.seed);
    policy.dispose();
  } finally {
    backend.destroy();
  }
  return 0;
}
