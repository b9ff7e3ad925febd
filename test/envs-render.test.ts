/** Golden tests of the software renderers: probed pixels and checksums of known states. */
import { describe, expect, it } from 'vitest';
import {
  AXLE_COLOR,
  CartPoleEnv,
  MountainCarContinuousEnv,
  PENDULUM_ROD_COLOR,
  POLE_COLOR,
  PendulumEnv,
  make,
  mountainHeight,
  renderAcrobot,
  renderCartPole,
  renderMountainCar,
  renderPendulum,
  type RgbFrame,
} from '../src/envs/index.js';
import { EnvStateRenderer, renderFps } from '../src/web/env-view.js';

const pixel = (f: RgbFrame, x: number, y: number): number[] => Array.from(f.data.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 4));
const rgba = (c: readonly number[]): number[] => [...c, 255];
const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];

/** FNV-1a over the frame bytes. */
function checksum(f: RgbFrame): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < f.data.length; i++) h = Math.imul(h ^ f.data[i], 0x01000193) >>> 0;
  return h;
}

function count(f: RgbFrame, color: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < f.data.length; i += 4) if (f.data[i] === color[0] && f.data[i + 1] === color[1] && f.data[i + 2] === color[2]) n++;
  return n;
}

describe('CartPole renderer', () => {
  it('draws the upright pole at the centre like Gymnasium (y flipped)', () => {
    const f = renderCartPole(0, 0);
    expect([f.width, f.height, f.data.length]).toEqual([600, 400, 600 * 400 * 4]);
    expect(pixel(f, 0, 0)).toEqual(WHITE);
    expect(pixel(f, 599, 399)).toEqual(WHITE);
    expect(pixel(f, 10, 299)).toEqual(BLACK); // track at y = 100 -> row 299
    expect(pixel(f, 590, 299)).toEqual(BLACK);
    expect(pixel(f, 10, 298)).toEqual(WHITE);
    // cart 275..325 x 85..115 -> rows 284..314
    expect(pixel(f, 275, 284)).toEqual(BLACK);
    expect(pixel(f, 325, 314)).toEqual(BLACK);
    expect(pixel(f, 274, 290)).toEqual(WHITE);
    expect(pixel(f, 326, 290)).toEqual(WHITE);
    expect(pixel(f, 300, 283)).toEqual(rgba(POLE_COLOR)); // the pole continues above the cart
    expect(pixel(f, 300, 315)).toEqual(WHITE);
    // pole 295..305 from y = 102 to 227 -> rows 172..297, axle circle at (300, 107) -> row 292
    expect(pixel(f, 300, 200)).toEqual(rgba(POLE_COLOR));
    expect(pixel(f, 296, 175)).toEqual(rgba(POLE_COLOR));
    expect(pixel(f, 300, 170)).toEqual(WHITE);
    expect(pixel(f, 310, 200)).toEqual(WHITE);
    expect(pixel(f, 300, 292)).toEqual(rgba(AXLE_COLOR));
    expect(count(f, AXLE_COLOR)).toBeGreaterThan(60);
    expect(checksum(f)).toBe(3679159616);
  });

  it('tilts the pole to the right for positive theta and moves the cart with x', () => {
    const f = renderCartPole(1, 0.2);
    const cartx = 1 * 125 + 300;
    const along = (d: number): [number, number] => [Math.round(cartx + d * Math.sin(0.2)), 399 - Math.round(107.5 + d * Math.cos(0.2))];
    expect(pixel(f, ...along(60))).toEqual(rgba(POLE_COLOR));
    expect(pixel(f, ...along(110))).toEqual(rgba(POLE_COLOR));
    expect(pixel(f, cartx, 300)).toEqual(BLACK);
    expect(pixel(f, 300, 300)).toEqual(WHITE);
    expect(checksum(f)).toBe(1504893226);
  });

  it("env.render() with renderMode 'rgb_array' draws the env's state; without a mode it returns null", () => {
    const env = make('CartPole-v1', { renderMode: 'rgb_array' });
    env.reset({ seed: 0 });
    for (let t = 0; t < 5; t++) env.step(1);
    const s = (env.unwrapped as CartPoleEnv).state;
    const frame = env.render()!;
    expect(Buffer.from(frame.data).equals(Buffer.from(renderCartPole(s[0], s[2]).data))).toBe(true);
    expect(checksum(frame)).not.toBe(checksum(renderCartPole(0, 0)));
    const plain = make('CartPole-v1');
    plain.reset({ seed: 0 });
    expect(plain.render()).toBeNull();
  });
});

describe('Acrobot and MountainCar renderers', () => {
  it('Acrobot: 500x500, joint at the centre, links hanging down at rest', () => {
    const f = renderAcrobot(0, 0);
    expect([f.width, f.height]).toEqual([500, 500]);
    expect(pixel(f, 250, 249)).toEqual(rgba([204, 204, 0]));
    expect(pixel(f, 250, 249 + 60)).toEqual(rgba([0, 204, 204])); // first link points down
    expect(pixel(f, 250, 249 - 60)).toEqual(WHITE);
    expect(make('Acrobot-v1', { renderMode: 'rgb_array' }).render()).toBeNull(); // before reset
  });

  it('MountainCar: 600x400 with a black car and the yellow flag', () => {
    const f = renderMountainCar(-0.5);
    expect([f.width, f.height]).toEqual([600, 400]);
    expect(count(f, [0, 0, 0])).toBeGreaterThan(500);
    expect(count(f, [204, 204, 0])).toBeGreaterThan(100);
    expect(count(f, [128, 128, 128])).toBeGreaterThan(50);
  });
});

describe('Pendulum and MountainCarContinuous renderers', () => {
  it("Pendulum: 500x500, the rod (Gymnasium's red, 1 unit = 500/4.4 px) up from the black axle at theta 0", () => {
    const f = renderPendulum(0);
    expect([f.width, f.height, f.data.length]).toEqual([500, 500, 500 * 500 * 4]);
    const rod = rgba(PENDULUM_ROD_COLOR);
    expect(pixel(f, 250, 249)).toEqual(BLACK); // the axle, radius 5
    expect(pixel(f, 250, 249 - 60)).toEqual(rod); // the rod points up
    expect(pixel(f, 250, 249 - 120)).toEqual(rod); // its rounded end, radius 11, at 113.6 px
    expect(pixel(f, 250, 249 - 130)).toEqual(WHITE);
    expect(pixel(f, 250, 249 + 30)).toEqual(WHITE);
    expect(pixel(f, 250 + 15, 249 - 60)).toEqual(WHITE); // 22.7 px wide
    expect(count(f, PENDULUM_ROD_COLOR)).toBeGreaterThan(2500);
    // theta = pi/2 (counter-clockwise): the rod points left.
    const left = renderPendulum(Math.PI / 2);
    expect(pixel(left, 250 - 60, 249)).toEqual(rod);
    expect(pixel(left, 250 + 60, 249)).toEqual(WHITE);
  });

  it('Pendulum env.render() draws its state; MountainCarContinuous draws MountainCar with the flag at 0.45', () => {
    const env = make('Pendulum-v1', { renderMode: 'rgb_array' });
    env.reset({ seed: 1 });
    env.step([2]);
    const frame = env.render() as RgbFrame;
    expect(Buffer.from(frame.data).equals(Buffer.from(renderPendulum((env.unwrapped as PendulumEnv).state[0]).data))).toBe(true);

    const car = make('MountainCarContinuous-v0', { renderMode: 'rgb_array' });
    car.reset({ seed: 1 });
    for (let t = 0; t < 30; t++) car.step([1]);
    const f = car.render() as RgbFrame;
    expect([f.width, f.height]).toEqual([600, 400]);
    expect(Buffer.from(f.data).equals(Buffer.from(renderMountainCar((car.unwrapped as MountainCarContinuousEnv).state[0], 0.45).data))).toBe(true);
    const scale = 600 / (0.6 - -1.2);
    const flagX = (goal: number) => Math.trunc((goal + 1.2) * scale);
    const flagRow = (goal: number) => 399 - (Math.trunc(mountainHeight(goal) * scale) + 25); // on the pole, halfway up
    expect(pixel(f, flagX(0.45), flagRow(0.45))).toEqual(BLACK);
    expect(pixel(f, flagX(0.5), flagRow(0.5))).toEqual(WHITE);
    expect(count(f, [204, 204, 0])).toBeGreaterThan(100);
    expect(count(f, [128, 128, 128])).toBeGreaterThan(50);
  });

  it("the page's canvas draws both from their state (EnvStateRenderer), at Gymnasium's 30 fps", () => {
    for (const [id, size] of [['Pendulum-v1', [500, 500]], ['MountainCarContinuous-v0', [600, 400]]] as const) {
      const view = new EnvStateRenderer(id);
      const env = make(id);
      env.reset({ seed: 2 });
      const state = Array.from((env.unwrapped as PendulumEnv | MountainCarContinuousEnv).state);
      const frame = view.render(state);
      expect([frame.width, frame.height]).toEqual(size);
      expect(count(frame, [255, 255, 255])).toBeLessThan(size[0] * size[1]);
      expect(renderFps(id)).toBe(30);
    }
  });
});
