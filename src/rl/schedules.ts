/**
 * Exploration rate schedules, and the one place their parameters' ranges are checked: by the
 * constructors, and by validateConfig before any work starts, with the same message naming the
 * DqnConfig field.
 */
import { InvalidArgumentError } from '../errors.js';
import type { DqnConfig } from './config.js';

/** Exploration rate as a function of training progress. */
export interface EpsilonSchedule {
  /** Epsilon for the given total env step count and number of finished episodes. */
  value(step: number, episode: number): number;
  /** A one-line description for logs. */
  describe(): string;
}

/** The config fields that make a schedule. */
export type EpsilonScheduleConfig = Pick<DqnConfig, 'epsilonSchedule' | 'epsilonStart' | 'epsilonEnd' | 'epsilonDecay' | 'explorationFraction' | 'steps'>;

/**
 * Throws, naming the field, when a schedule parameter of `config` is out of range (whichever
 * schedule it picks). `name` spells a field in messages (the CLI passes its flag names).
 */
export function checkEpsilonScheduleConfig(config: EpsilonScheduleConfig, name: (field: keyof EpsilonScheduleConfig) => string = (field) => field): void {
  checkProbability(name('epsilonStart'), config.epsilonStart);
  checkProbability(name('epsilonEnd'), config.epsilonEnd);
  checkHalfOpenFraction(name('epsilonDecay'), config.epsilonDecay);
  checkHalfOpenFraction(name('explorationFraction'), config.explorationFraction);
  if (config.epsilonSchedule === 'linear-step') checkStepBudget(config.steps, name('steps'));
}

/** The schedule `config` names. */
export function createEpsilonSchedule(config: EpsilonScheduleConfig): EpsilonSchedule {
  return config.epsilonSchedule === 'linear-step'
    ? new LinearStepDecay(config.epsilonStart, config.epsilonEnd, config.explorationFraction, config.steps)
    : new ExponentialEpisodeDecay(config.epsilonStart, config.epsilonDecay, config.epsilonEnd);
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
    checkProbability('epsilonStart', start);
    checkProbability('epsilonEnd', end);
    checkHalfOpenFraction('epsilonDecay', decay);
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
    checkProbability('epsilonStart', start);
    checkProbability('epsilonEnd', end);
    checkHalfOpenFraction('explorationFraction', fraction);
    checkStepBudget(totalSteps);
  }
  value(step: number): number {
    const progress = step / (this.fraction * this.totalSteps);
    return progress >= 1 ? this.end : this.start + (this.end - this.start) * progress;
  }
  describe(): string {
    return `epsilon ${this.start} -> ${this.end} linearly over ${Math.round(this.fraction * this.totalSteps)} steps`;
  }
}

function checkProbability(field: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError(`${field} must be in [0, 1], got ${x}`);
}

function checkHalfOpenFraction(field: string, x: number): void {
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError(`${field} must be in (0, 1], got ${x}`);
}

function checkStepBudget(steps: number, field = 'steps'): void {
  if (!(Number.isInteger(steps) && steps > 0)) {
    throw new InvalidArgumentError(`${field} must be a positive integer with the 'linear-step' epsilon schedule (it decays over the step budget), got ${steps}`);
  }
}

/**
 * The learning rate of iteration `iteration` (0-based) of `iterations`: `lr` annealed linearly
 * towards 0 with `anneal` (CleanRL's anneal_lr: lr x (1 - iteration / iterations)), else `lr`.
 * The rollout trainers' (PQN, PPO) one rule.
 */
export function annealedLearningRate(lr: number, anneal: boolean, iteration: number, iterations: number): number {
  return anneal ? lr * (1 - iteration / iterations) : lr;
}
