/** Gymnasium's CartPole `render()` (rgb_array): 600x400, drawn with the same geometry and colours. */
import type { RgbFrame } from '../types.js';
import { rotate, Surface, type Rgb } from './raster.js';

export const CARTPOLE_SCREEN_WIDTH = 600;
export const CARTPOLE_SCREEN_HEIGHT = 400;
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
/** Pole colour. */
export const POLE_COLOR: Rgb = [202, 152, 101];
/** Axle colour. */
export const AXLE_COLOR: Rgb = [129, 132, 203];

/**
 * Draws a CartPole state `[x, x_dot, theta, theta_dot]` (cart position `x`, pole angle `theta`
 * from upright, positive to the right) the way Gymnasium's `CartPoleEnv.render` does:
 * scale 125 px/m, cart 50x30 px with its top at y=100, pole 10 px wide and 125 px long,
 * axle circle of radius 5, track line at y=100, then the image flipped vertically.
 */
export function renderCartPole(x: number, theta: number, xThreshold = 2.4, length = 0.5, surface?: Surface): RgbFrame {
  const screenWidth = CARTPOLE_SCREEN_WIDTH;
  const surf = surface ?? new Surface(screenWidth, CARTPOLE_SCREEN_HEIGHT);
  const worldWidth = xThreshold * 2;
  const scale = screenWidth / worldWidth;
  const polewidth = 10.0;
  const polelen = scale * (2 * length);
  const cartwidth = 50.0;
  const cartheight = 30.0;
  surf.fill(WHITE);

  let l = -cartwidth / 2, r = cartwidth / 2, t = cartheight / 2, b = -cartheight / 2;
  const axleoffset = cartheight / 4.0;
  const cartx = x * scale + screenWidth / 2.0;
  const carty = 100;
  surf.fillPolygon([l + cartx, b + carty, l + cartx, t + carty, r + cartx, t + carty, r + cartx, b + carty], BLACK);

  l = -polewidth / 2;
  r = polewidth / 2;
  t = polelen - polewidth / 2;
  b = -polewidth / 2;
  const pole: number[] = [];
  for (const [cx, cy] of [[l, b], [l, t], [r, t], [r, b]] as const) {
    const [px, py] = rotate(cx, cy, -theta);
    pole.push(px + cartx, py + carty + axleoffset);
  }
  surf.fillPolygon(pole, POLE_COLOR);
  surf.fillCircle(Math.trunc(cartx), Math.trunc(carty + axleoffset), Math.trunc(polewidth / 2), AXLE_COLOR);
  surf.hline(0, screenWidth, carty, BLACK);
  return surf.toFrame(true);
}
