/** Gymnasium's `RecordEpisodeStatistics` wrapper. */
import type { Env } from '../env.js';
import type { ActionOf, ActionSpace, Discrete } from '../spaces.js';
import type { Info, ResetOptions, StepRecord } from '../types.js';
import { Wrapper } from './wrapper.js';

/** What `info.episode` holds at the end of an episode (Gymnasium's `{r, l, t}`). */
export interface EpisodeStatistics {
  /** Sum of the rewards of the episode. */
  r: number;
  /** Number of steps. */
  l: number;
  /** Seconds since the episode's reset, rounded to 6 decimals. */
  t: number;
}

/**
 * On the step that ends an episode (terminated or truncated) adds
 * `info.episode = { r, l, t }`; keeps the last `bufferLength` returns, lengths and times.
 */
export class RecordEpisodeStatistics<S extends ActionSpace = Discrete> extends Wrapper<S> {
  readonly bufferLength: number;
  /** Most recent episode returns, oldest first. */
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  /** Episodes completed since construction. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = 0;

  constructor(env: Env<S>, bufferLength = 100) {
    super(env);
    this.bufferLength = bufferLength;
  }

  override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const info = this.env.resetInto(obs, offset, options);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeStart = performance.now();
    return info;
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
    this.episodeReturn += out.reward;
    this.episodeLength += 1;
    if (out.terminated || out.truncated) {
      const t = Math.round((performance.now() - this.episodeStart) * 1000) / 1e6;
      const episode: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t };
      out.info = { ...(out.info ?? {}), episode };
      this.push(this.returnQueue, episode.r);
      this.push(this.lengthQueue, episode.l);
      this.push(this.timeQueue, episode.t);
      this.episodeCount += 1;
    }
  }

  private push(queue: number[], value: number): void {
    queue.push(value);
    if (queue.length > this.bufferLength) queue.shift();
  }
}
