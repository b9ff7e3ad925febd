/**
 * Catch, a small custom environment written to webgpu-rl-engine's env contract (docs/custom-envs.md)
 * and needing nothing from the engine: plain spaces, Gymnasium's reset/step, an optional RGBA render.
 *
 * A ball falls one row per step from a random column of the top row of a ROWS x COLUMNS grid; the
 * paddle on the bottom row moves left, stays or moves right. Each episode drops BALLS balls, one
 * after the other: +1 for each one the paddle is under when it reaches the bottom row, -1 for
 * each one it misses, so returns run from -BALLS to +BALLS. (bsuite's Catch is this game with one
 * ball per episode.)
 *
 * Observation (3 float32 values in [0, 1]): the ball's column and row, and the paddle's column,
 * each divided by its largest value. Actions: Discrete(3): 0 left, 1 stay, 2 right.
 *
 * The module's exports are what `--env ./examples/catch/catch-env.js` reads: the default export
 * (the class, built with `new CatchEnv({ renderMode })`), `id`, `maxEpisodeSteps` and
 * `rewardThreshold`.
 */

export const ROWS = 10;
export const COLUMNS = 5;
export const BALLS = 10;
/** Pixels per grid cell in rendered frames. */
const CELL = 32;

/** The id the CLI and `register` give this env. */
export const id = 'Catch-v0';
/** Every episode lasts BALLS * (ROWS - 1) steps; the time limit only guards against a broken env. */
export const maxEpisodeSteps = BALLS * (ROWS - 1) + 1;
/** Catching 95 % of the balls on average. */
export const rewardThreshold = 0.9 * BALLS;

export default class CatchEnv {
  observationSpace = { shape: [3], low: 0, high: 1 };
  actionSpace = { n: 3 };

  /** @param {{ renderMode?: 'rgb_array' | null }} [options] */
  constructor(options = {}) {
    this.renderMode = options.renderMode ?? null;
    this.random = mulberry32((Math.random() * 2 ** 32) >>> 0);
    this.ballRow = 0;
    this.ballColumn = 0;
    this.paddle = 0;
    this.ballsLeft = 0;
    this.done = true;
  }

  /** @param {{ seed?: number }} [options] */
  reset(options = {}) {
    // As Gymnasium's: a seed restarts the random stream; without one it continues.
    if (options.seed !== undefined) this.random = mulberry32(options.seed >>> 0);
    this.paddle = (COLUMNS - 1) / 2;
    this.ballsLeft = BALLS;
    this.dropBall();
    this.done = false;
    return [this.observation(), {}];
  }

  /** @param {number} action 0 left, 1 stay, 2 right */
  step(action) {
    if (!Number.isInteger(action) || action < 0 || action > 2) throw new RangeError(`Catch: action ${action} is not 0, 1 or 2`);
    if (this.done) throw new Error('Catch: step() after the episode ended; call reset()');
    this.paddle = Math.min(COLUMNS - 1, Math.max(0, this.paddle + action - 1));
    this.ballRow += 1;
    let reward = 0;
    if (this.ballRow === ROWS - 1) {
      reward = this.ballColumn === this.paddle ? 1 : -1;
      this.ballsLeft -= 1;
      if (this.ballsLeft > 0) this.dropBall();
    }
    const terminated = this.ballsLeft === 0;
    this.done = terminated;
    return [this.observation(), reward, terminated, false, {}];
  }

  /** The grid as an RGBA frame: the ball red, the paddle blue, on a grey background. */
  render() {
    if (this.renderMode !== 'rgb_array') return null;
    const width = COLUMNS * CELL;
    const height = ROWS * CELL;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) data.set([235, 235, 235, 255], 4 * i);
    const fill = (row, column, rgb, inset) => {
      for (let y = row * CELL + inset; y < (row + 1) * CELL - inset; y++) {
        for (let x = column * CELL + inset; x < (column + 1) * CELL - inset; x++) data.set([...rgb, 255], 4 * (y * width + x));
      }
    };
    fill(ROWS - 1, this.paddle, [40, 90, 200], 2);
    fill(this.ballRow, this.ballColumn, [210, 50, 40], 6);
    return { width, height, data };
  }

  close() {}

  dropBall() {
    this.ballRow = 0;
    this.ballColumn = Math.floor(this.random() * COLUMNS);
  }

  observation() {
    return [this.ballColumn / (COLUMNS - 1), this.ballRow / (ROWS - 1), this.paddle / (COLUMNS - 1)];
  }
}

/** A small seeded generator of uniform numbers in [0, 1) (mulberry32). */
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
