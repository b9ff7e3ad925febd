import { InvalidArgumentError } from '../errors.js';

/** Exploration rate as a function of training progress. */
export interface EpsilonSchedule {
  /** Epsilon for the given total env step count and number of finished episodes. */
  value(step: number, episode: number): number;
  /** A one-line description for logs. */
  describe(): string;
}

/**
 * numpy-rl-engine's schedule: epsilon = max(end, start * decay^episodes), decayed once per
 * finished episode.
 */
export class ExponentialEpisodeDecay implements EpsilonSchedule {
  constructor(
    readonly start: number,
    readonly decay: number,
    readonly end: number,
  ) {
    checkProbability('epsilon start', start);
    checkProbability('epsilon end', end);
    if (!(decay > 0 && decay <= 1)) throw new InvalidArgumentError(`epsilon decay must be in (0, 1], got ${decay}`);
  }
  value(_step: number, episode: number): number {
    return Math.max(this.end, this.start * Math.pow(this.decay, episode));
  }
  describe(): string {
    return `epsilon ${this.start} x ${this.decay}^episode, floor ${this.end}`;
  }
}

/**
 * Stable-Baselines3's schedule: epsilon goes linearly from start to end over the first
 * `fraction` of `totalSteps` env steps, then stays at end.
 */
export class LinearStepDecay implements EpsilonSchedule {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly fraction: number,
    readonly totalSteps: number,
  ) {
    checkProbability('epsilon start', start);
    checkProbability('epsilon end', end);
    if (!(fraction > 0 && fraction <= 1)) throw new InvalidArgumentError(`exploration fraction must be in (0, 1], got ${fraction}`);
    if (!(totalSteps > 0)) throw new InvalidArgumentError(`total steps must be positive, got ${totalSteps}`);
  }
  value(step: number): number {
    const progress = step / (this.fraction * this.totalSteps);
    return progress >= 1 ? this.end : this.start + (this.end - this.start) * progress;
  }
  describe(): string {
    return `epsilon ${this.start} -> ${this.end} linearly over ${Math.round(this.fraction * this.totalSteps)} steps`;
  }
}

function checkProbability(name: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError(`${name} must be in [0, 1], got ${x}`);
}
