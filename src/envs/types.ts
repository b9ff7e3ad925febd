/** Shared types of the Gymnasium-style environment API. */

/** The `info` dictionary returned by `reset` and `step` (Gymnasium's classic-control envs return `{}`). */
export type Info = Record<string, unknown>;

/** `step()` result: `[obs, reward, terminated, truncated, info]`, exactly Gymnasium's 5-tuple. */
export type StepResult = [obs: Float32Array, reward: number, terminated: boolean, truncated: boolean, info: Info];

/** `reset()` result: `[obs, info]`. */
export type ResetResult = [obs: Float32Array, info: Info];

/** Arguments of `reset()`. */
export interface ResetOptions {
  /** Re-seeds the env's generator with `numpy.random.default_rng(seed)`; omitted: continue the env's own stream. */
  seed?: number;
  /** Env-specific options; the classic-control envs accept `{ low, high }` reset bounds as Gymnasium does. */
  options?: Record<string, number>;
}

/**
 * The mutable record an allocation-free `stepInto` fills. `info` stays `undefined` when there is
 * nothing to report (the `step()` wrapper turns that into `{}`).
 */
export interface StepRecord {
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info | undefined;
}

/** Render modes supported: only offscreen RGB frames (no window). */
export type RenderMode = 'rgb_array';

/** One RGBA frame, row-major from the top-left pixel; shaped like the DOM's `ImageData`. */
export interface RgbFrame {
  width: number;
  height: number;
  /** `width * height * 4` bytes, RGBA, alpha always 255. */
  data: Uint8ClampedArray;
}

/** A fresh step record. */
export function newStepRecord(): StepRecord {
  return { reward: 0, terminated: false, truncated: false, info: undefined };
}
