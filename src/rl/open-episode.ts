/**
 * The training episode in progress, with what rebuilds it exactly on resume: how it was reset (the
 * env generator's state before the reset, or the seed of a seeded reset) and the actions taken
 * since. The envs are deterministic given that, so replaying the actions puts the env (and every
 * wrapper's counters) exactly where it was, without saving any env internals.
 */
import type { Env } from '../envs/env.js';
import { actionDim, isBox, type ActionSpace } from '../envs/spaces.js';
import { newStepRecord } from '../envs/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { RngState } from '../random/rng.js';
import { envRngState } from './training-env.js';

/** The episode's part of a trainer snapshot (field names as TrainerState has them). */
export interface OpenEpisodeState {
  /** The env generator before the reset of the episode in progress (or before the next reset; null before the first). */
  envRng: RngState | null;
  /** The seed of that reset when it was seeded (the run's first episode), else null. */
  episodeResetSeed: number | null;
  /** Actions taken so far in the episode in progress (empty between episodes): Box actions flattened, actionDim values each. */
  episodeActions: number[];
  /** Sum of the (shaped) rewards the agent has seen so far in the episode. */
  episodeShapedReturn: number;
}

export class OpenEpisode {
  /** True from a reset to the step that ends the episode. */
  isOpen = false;
  /** Sum of the (shaped) rewards the agent has seen so far. */
  shapedReturn = 0;
  private startRng: RngState | null = null;
  private resetSeed: number | null = null;
  /** Every action's values, flattened (`width` per action). */
  private readonly actions: number[] = [];
  /** Values per action: 1 (Discrete) or the Box's length. */
  private readonly width: number;
  private readonly box: boolean;

  constructor(private readonly env: Env<ActionSpace>) {
    this.width = actionDim(env.actionSpace);
    this.box = isBox(env.actionSpace);
  }

  /** Resets the env into `obs` (seeded with `seed`, or continuing the env's stream when null) and opens an episode. */
  begin(obs: Float32Array, seed: number | null): void {
    this.resetSeed = seed;
    this.startRng = seed === null ? envRngState(this.env) : null;
    this.env.resetInto(obs, 0, seed === null ? undefined : { seed });
    this.isOpen = true;
    this.shapedReturn = 0;
    this.actions.length = 0;
  }

  /** Steps taken in the open episode. */
  get length(): number {
    return this.actions.length / this.width;
  }

  /** Records one step of the open episode: its action (a number, or a Box action's values) and reward. */
  record(action: number | ArrayLike<number>, reward: number): void {
    if (typeof action === 'number') this.actions.push(action);
    else for (let k = 0; k < action.length; k++) this.actions.push(action[k]);
    this.shapedReturn += reward;
  }

  end(): void {
    this.isOpen = false;
    this.actions.length = 0;
  }

  getState(): OpenEpisodeState {
    const open = this.isOpen;
    return {
      envRng: open ? this.startRng : envRngState(this.env),
      episodeResetSeed: open ? this.resetSeed : null,
      episodeActions: open ? [...this.actions] : [],
      episodeShapedReturn: open ? this.shapedReturn : 0,
    };
  }

  /**
   * Rebuilds the episode of a snapshot, after the env's generator was set to `state.envRng`: the
   * same reset, then the same actions. Leaves the latest observation in `obs`.
   */
  restore(obs: Float32Array, state: OpenEpisodeState): void {
    this.end();
    if (state.episodeResetSeed === null && state.episodeActions.length === 0) return;
    this.begin(obs, state.episodeResetSeed);
    this.startRng = state.envRng;
    const rec = newStepRecord();
    const w = this.width;
    const values = state.episodeActions;
    if (values.length % w !== 0) throw new InvalidArgumentError(`checkpoint: the episode in progress lists ${values.length} action values, not a whole number of actions of ${w}`);
    const row = new Float32Array(w);
    for (let t = 0; t < values.length; t += w) {
      // Box actions were float32 when taken: the same values replay the same steps.
      if (this.box) row.set(values.slice(t, t + w));
      this.env.stepInto(this.box ? row : values[t], obs, 0, rec);
      for (let k = 0; k < w; k++) this.actions.push(values[t + k]);
      if (rec.terminated || rec.truncated) throw new InvalidArgumentError('checkpoint: the episode in progress ended while being replayed (different environment?)');
    }
    this.shapedReturn = state.episodeShapedReturn;
  }
}
