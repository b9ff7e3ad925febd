/**
 * The checks every trainer checkpoint's JSON part shares, whatever the algorithm: counters,
 * generator states, the last 100 returns, each env's open episode, the run's preset. A damaged or
 * hand-edited field is refused with one line naming it (`${file}: checkpoint field 'x' ...`), never
 * a TypeError or a hang. Used by checkpoint-validation.ts (DQN) and pqn-checkpoint.ts (PQN).
 * Browser-safe.
 */
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../random/rng.js';
import type { Box } from '../envs/spaces.js';

export type Json = Record<string, unknown>;

/** A checkpoint's metadata, read field by field. */
export class CheckpointFields {
  constructor(
    readonly meta: Json,
    readonly fileName: string,
  ) {}

  /** Throws naming the field and why. */
  bad(field: string, why: string): never {
    throw new InvalidArgumentError(`${this.fileName}: checkpoint field '${field}' ${why}`);
  }

  /** How a value shows in a message ('missing' when absent). */
  static show(value: unknown): string {
    return value === undefined ? 'missing' : JSON.stringify(value);
  }

  /** A non-negative safe integer. */
  count(field: string): number {
    const v = this.meta[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.bad(field, `must be a non-negative integer, got ${CheckpointFields.show(v)}`);
    return v as number;
  }

  /** A finite number, or null (JSON's spelling of NaN and -Infinity here). */
  numberOrNull(field: string): void {
    const v = this.meta[field];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) this.bad(field, `must be a finite number or null, got ${CheckpointFields.show(v)}`);
  }

  /** A generator state Rng can continue from (or null when `nullable`). */
  rngState(value: unknown, field: string, nullable: boolean): void {
    if (value === null && nullable) return;
    const state = value as { bitGenerator?: { state?: unknown; inc?: unknown } } | null;
    const bits = state?.bitGenerator;
    const decimal = (x: unknown) => typeof x === 'string' && /^\d{1,40}$/.test(x);
    if (state === null || typeof state !== 'object' || bits === null || typeof bits !== 'object' || !decimal(bits?.state) || !decimal(bits?.inc)) {
      this.bad(field, `must be a generator state (decimal 'state' and 'inc'), got ${CheckpointFields.show(value)}`);
    }
    try {
      Rng.fromState(value as never);
    } catch (error) {
      this.bad(field, `is not a usable generator state (${(error as Error).message})`);
    }
  }

  /** `recentReturns`: at most min(100, episodes) finite returns. */
  recentReturns(episodes: number): void {
    const recent = this.meta.recentReturns;
    if (!Array.isArray(recent) || recent.length > 100 || recent.length > episodes || recent.some((r) => typeof r !== 'number' || !Number.isFinite(r))) {
      this.bad('recentReturns', `must list at most min(100, episodes) finite returns, got ${Array.isArray(recent) ? `${recent.length} values` : CheckpointFields.show(recent)}`);
    }
  }

  /** `bestSteps`, at most `steps`. */
  bestSteps(steps: number): void {
    const bestSteps = this.count('bestSteps');
    if (bestSteps > steps) this.bad('bestSteps', `(${bestSteps}) exceeds 'steps' (${steps})`);
  }

  /**
   * `envs`: one open episode per env (open-episode.ts): how it was reset, and its actions so far
   * (integers below `nActions`, or with `box` that many values per action within its bounds;
   * fewer than the env's step limit and than the run's steps).
   */
  openEpisodes(numEnvs: number, nActions: number, maxEpisodeSteps: number | null, steps: number, box: Box | null = null): void {
    const envs = this.meta.envs;
    const show = CheckpointFields.show;
    if (!Array.isArray(envs) || envs.length !== numEnvs) this.bad('envs', `must hold one episode state per env (${numEnvs}), got ${Array.isArray(envs) ? `${envs.length}` : show(envs)}`);
    const longest = maxEpisodeSteps ?? Number.POSITIVE_INFINITY;
    (envs as unknown[]).forEach((entry, i) => {
      const field = (name: string) => `envs[${i}].${name}`;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) this.bad(`envs[${i}]`, `must be an object, got ${show(entry)}`);
      const e = entry as Json;
      this.rngState(e.envRng, field('envRng'), true);
      const resetSeed = e.episodeResetSeed;
      if (resetSeed !== null && (typeof resetSeed !== 'number' || !Number.isSafeInteger(resetSeed) || resetSeed < 0)) this.bad(field('episodeResetSeed'), `must be a seed or null, got ${show(resetSeed)}`);
      const actions = e.episodeActions;
      const width = box === null ? 1 : nActions;
      const valid =
        box === null
          ? (a: unknown, _k: number) => Number.isInteger(a) && (a as number) >= 0 && (a as number) < nActions
          : (a: unknown, k: number) => typeof a === 'number' && a >= box.low[k % width] && a <= box.high[k % width];
      const count = Array.isArray(actions) ? actions.length / width : Number.NaN;
      if (!Array.isArray(actions) || !Number.isInteger(count) || count >= longest || count > steps || !actions.every(valid)) {
        const what = box === null ? `integers in [0, ${nActions})` : `${nActions} values each, within ${box.toString()}`;
        this.bad(field('episodeActions'), `must list the open episode's actions (${what}, fewer than ${longest}), got ${Array.isArray(actions) ? `${actions.length} values` : show(actions)}`);
      }
      if (typeof e.episodeShapedReturn !== 'number' || !Number.isFinite(e.episodeShapedReturn)) this.bad(field('episodeShapedReturn'), `must be a finite number, got ${show(e.episodeShapedReturn)}`);
    });
  }

  /**
   * The fields every trainer snapshot has beyond its counters: the last loss and best evaluated
   * return (numbers or null), the best weights' step, the last returns, the run's and the
   * evaluation env's generators, and each env's open episode.
   */
  trainerFields(steps: number, episodes: number, numEnvs: number, env: { nActions: number; maxEpisodeSteps: number | null; box?: Box | null }): void {
    this.numberOrNull('lastLoss');
    this.numberOrNull('bestMeanReturn');
    this.bestSteps(steps);
    this.recentReturns(episodes);
    this.rngState(this.meta.rng, 'rng', false);
    this.rngState(this.meta.evalEnvRng, 'evalEnvRng', true);
    this.openEpisodes(numEnvs, env.nActions, env.maxEpisodeSteps, steps, env.box ?? null);
  }

  /** `run.preset` (absent in files written before runs recorded it): one of `presetNames`. */
  runPreset(presetNames: readonly string[]): void {
    const run = this.meta.run as Json | undefined | null;
    if (run !== undefined && (run === null || typeof run !== 'object' || typeof run.preset !== 'string' || !presetNames.includes(run.preset))) {
      this.bad('run.preset', `must be one of ${presetNames.join(', ')}, got ${CheckpointFields.show(run?.preset)}`);
    }
  }

  /** `hasBest`: a boolean. */
  flag(field: string): boolean {
    const v = this.meta[field];
    if (typeof v !== 'boolean') this.bad(field, `must be true or false, got ${CheckpointFields.show(v)}`);
    return v as boolean;
  }
}
