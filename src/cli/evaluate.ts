/** Greedy evaluation from the CLI: returns and their summary line, and an animated GIF of one episode. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Env } from '../envs/env.js';
import { make } from '../envs/registry.js';
import type { ActionSpace } from '../envs/spaces.js';
import { GifWriter } from '../io/gif.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { GreedyEvaluator, evaluateGreedy, type GreedyPolicy } from '../rl/greedy-evaluation.js';
import { meanAndStd } from '../rl/statistics.js';
import { say, shown } from './console.js';

export interface EvaluationSummary {
  episodes: number;
  seed: number;
  returns: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** `episodes` greedy episodes of `policy`, the first reset seeded `seed`, played side by side. */
export async function evaluatePolicy(policy: GreedyPolicy, envId: string, episodes: number, seed: number): Promise<EvaluationSummary> {
  // Discrete or Box: the policy plays its kind of action (a network's env was checked when its file was read).
  const env = make(envId);
  const evaluator = new GreedyEvaluator(() => make(envId));
  const returns = await evaluator.evaluate(policy, env, episodes, seed);
  evaluator.close();
  env.close();
  const { mean, std } = meanAndStd(returns);
  return { episodes, seed, returns, mean, std, min: Math.min(...returns), max: Math.max(...returns) };
}

/** Plays one greedy episode (reset with `seed`) and encodes every frame into a GIF. Returns the bytes and the return. */
export async function recordEpisodeGif(policy: GreedyPolicy, envId: string, seed: number): Promise<{ gif: Uint8Array; return: number; frames: number }> {
  const env = make(envId, { renderMode: 'rgb_array' });
  let writer: GifWriter | null = null;
  let frames = 0;
  const addFrame = (e: Env<ActionSpace>) => {
    const frame = e.render();
    if (!frame) return;
    writer ??= new GifWriter({ width: frame.width, height: frame.height, delayMs: 20 });
    writer.addFrame(frame.data);
    frames++;
  };
  const [ret] = await evaluateGreedy(policy, env, 1, seed, addFrame);
  env.close();
  if (writer === null) throw new Error(`${envId} rendered no frame`);
  return { gif: (writer as GifWriter).finish(), return: ret, frames };
}

export function summaryLine(s: EvaluationSummary): string {
  return `greedy evaluation over ${s.episodes} episodes: mean return ${s.mean.toFixed(2)} +/- ${s.std.toFixed(2)} (min ${showReturn(s.min)}, max ${showReturn(s.max)})`;
}

/** An episode's return as a line shows it: a whole number as it is (CartPole's 500), else to 2 decimals (Pendulum's -143.27). */
export function showReturn(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Why the env `envId` cannot make a GIF (it renders no frames: a custom env without renderMode 'rgb_array'), or null. */
export function framesProblem(envId: string): string | null {
  const env = make(envId, { renderMode: 'rgb_array' });
  const mode = env.renderMode;
  env.close();
  return mode === 'rgb_array' ? null : `${envId} renders no frames (built with renderMode 'rgb_array', its renderMode is ${String(mode)}; a render() returning RGBA frames makes one: docs/custom-envs.md)`;
}

/** Records one greedy episode (reset with `seed`) as a GIF at `path` and says so; an env that renders no frames gets a line saying why instead. */
export async function writeEpisodeGif(policy: GreedyPolicy, path: string, envId: string, seed: number): Promise<void> {
  const problem = framesProblem(envId);
  if (problem !== null) {
    say(`video: skipped, ${problem}`);
    return;
  }
  const started = performance.now();
  const { gif, return: ret, frames } = await recordEpisodeGif(policy, envId, seed);
  mkdirSync(dirname(resolve(path)), { recursive: true });
  await writeFileAtomic(path, gif);
  say(`video: ${shown(path)} (${frames} frames, return ${showReturn(ret)}, ${(gif.length / 1024).toFixed(0)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
