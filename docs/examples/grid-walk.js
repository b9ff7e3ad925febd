/**
 * GridWalk: a custom env for webgpu-rl-engine (docs/custom-envs.md), as a plain ES module that
 * needs nothing from the engine. The agent walks on a 5x5 grid from a random cell to the goal in
 * the bottom-right corner: 4 actions (0 up, 1 right, 2 down, 3 left), observation [x / 4, y / 4],
 * reward -0.02 per step and +1 on reaching the goal (terminated). Seeded: the same
 * reset({ seed }) gives the same start. Renders RGBA frames when built with renderMode 'rgb_array'.
 *
 *   node bin/train.js --env docs/examples/grid-walk.js --steps 4000
 */
const SIZE = 5;
const CELL = 16;

/** mulberry32: a small seeded generator, so that resets are deterministic for a seed. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default class GridWalk {
  observationSpace = { shape: [2], low: 0, high: 1 };
  actionSpace = { n: 4 };

  constructor(options = {}) {
    this.renderMode = options.renderMode ?? null;
    this.random = generator(Date.now());
    this.x = 0;
    this.y = 0;
    this.done = true;
  }

  reset(options = {}) {
    if (options.seed !== undefined) this.random = generator(options.seed);
    do {
      this.x = Math.floor(this.random() * SIZE);
      this.y = Math.floor(this.random() * SIZE);
    } while (this.atGoal());
    this.done = false;
    return [this.observation(), {}];
  }

  step(action) {
    if (this.done) throw new Error('GridWalk: the episode has ended; call reset() before step()');
    if (!Number.isInteger(action) || action < 0 || action > 3) throw new Error(`GridWalk: action ${action} is not 0, 1, 2 or 3`);
    const [dx, dy] = [[0, -1], [1, 0], [0, 1], [-1, 0]][action];
    this.x = Math.min(SIZE - 1, Math.max(0, this.x + dx));
    this.y = Math.min(SIZE - 1, Math.max(0, this.y + dy));
    const terminated = this.atGoal();
    this.done = terminated;
    return [this.observation(), terminated ? 1 : -0.02, terminated, false, {}];
  }

  render() {
    if (this.renderMode !== 'rgb_array') return null;
    const width = SIZE * CELL;
    const data = new Uint8ClampedArray(width * width * 4);
    for (let py = 0; py < width; py++) {
      for (let px = 0; px < width; px++) {
        const cx = Math.floor(px / CELL), cy = Math.floor(py / CELL);
        const edge = px % CELL === 0 || py % CELL === 0;
        const color = cx === this.x && cy === this.y ? [40, 90, 220] : cx === SIZE - 1 && cy === SIZE - 1 ? [40, 180, 80] : edge ? [200, 200, 200] : [255, 255, 255];
        data.set([...color, 255], (py * width + px) * 4);
      }
    }
    return { width, height: width, data };
  }

  atGoal() {
    return this.x === SIZE - 1 && this.y === SIZE - 1;
  }

  observation() {
    return [this.x / (SIZE - 1), this.y / (SIZE - 1)];
  }
}

export const id = 'GridWalk-v0';
export const maxEpisodeSteps = 50;
export const rewardThreshold = 0.8;
