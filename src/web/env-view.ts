/**
 * The canvas side of an environment: the training worker sends the unwrapped env's internal
 * state (a few numbers), and the page draws it with the env's own renderer (the Gymnasium
 * geometry of src/envs/render) by loading that state into a render-mode twin of the env.
 */
import type { Env } from '../envs/env.js';
import { make } from '../envs/registry.js';
import type { ActionSpace } from '../envs/spaces.js';
import type { RgbFrame } from '../envs/types.js';

/** The internal state array every classic-control env exposes as `unwrapped.state`. */
interface StatefulEnv {
  readonly state: Float64Array;
}

function statefulUnwrapped(env: Env<ActionSpace>): StatefulEnv | null {
  const inner = env.unwrapped as Env<ActionSpace> & Partial<StatefulEnv>;
  return inner.state instanceof Float64Array ? (inner as StatefulEnv) : null;
}

/** A copy of `env`'s internal state (Gymnasium's `env.unwrapped.state`), or null if it has none. */
export function captureEnvState(env: Env<ActionSpace>): number[] | null {
  const inner = statefulUnwrapped(env);
  return inner ? Array.from(inner.state) : null;
}

/** Draws states of one env id into RGBA frames with that env's renderer. */
export class EnvStateRenderer {
  readonly envId: string;
  readonly stateSize: number;
  private readonly twin: Env<ActionSpace>;
  private readonly inner: StatefulEnv;

  constructor(envId: string) {
    this.envId = envId;
    this.twin = make(envId, { renderMode: 'rgb_array', maxEpisodeSteps: null });
    this.twin.reset({ seed: 0 });
    const inner = statefulUnwrapped(this.twin);
    if (!inner) throw new Error(`${envId}: its env exposes no internal state to draw`);
    this.inner = inner;
    this.stateSize = inner.state.length;
  }

  /** The frame of `state` (stateSize numbers, or the stateSize numbers at `offset` of a flat array). */
  render(state: ArrayLike<number>, offset = 0): RgbFrame {
    for (let i = 0; i < this.stateSize; i++) this.inner.state[i] = state[offset + i];
    const frame = this.twin.render();
    if (!frame) throw new Error(`${this.envId}: render() gave no frame`);
    return frame;
  }
}

/** Frames per second at which Gymnasium shows each env (`metadata.render_fps`): playback speed of greedy episodes. */
export function renderFps(envId: string): number {
  if (envId.startsWith('Acrobot')) return 15;
  if (envId.startsWith('MountainCar') || envId.startsWith('Pendulum')) return 30;
  return 50;
}
