/** Gymnasium's Pendulum `render()` (rgb_array): 500x500, the rod with its rounded ends and the axle, flipped vertically. */
import type { RgbFrame } from '../types.js';
import { rotate, Surface, type Rgb } from './raster.js';

export const PENDULUM_SCREEN_DIM = 500;
/** Rod colour. */
export const PENDULUM_ROD_COLOR: Rgb = [204, 77, 77];
const AXLE: Rgb = [0, 0, 0];

/**
 * Draws the pendulum at angle `theta` (0 upright, positive counter-clockwise) as Gymnasium's
 * `PendulumEnv.render`: the world spans +-2.2 (scale 500 / 4.4 px per unit) around the centre
 * (250, 250); the rod is 1 unit long and 0.2 wide, rotated by `theta + pi/2`, with discs of radius
 * 11 px at both ends, and the black axle of radius 5 px on top. Gymnasium also blits its
 * `clockwise.png` torque arrow, sized by the last torque; that image is not drawn here.
 */
export function renderPendulum(theta: number): RgbFrame {
  const dim = PENDULUM_SCREEN_DIM;
  const surf = new Surface(dim, dim);
  surf.fill([255, 255, 255]);
  const bound = 2.2;
  const scale = dim / (bound * 2);
  const offset = Math.floor(dim / 2);
  const rodLength = 1 * scale;
  const rodWidth = 0.2 * scale;
  const [l, r, t, b] = [0, rodLength, rodWidth / 2, -rodWidth / 2];
  const angle = theta + Math.PI / 2;
  const pts: number[] = [];
  for (const [cx, cy] of [[l, b], [l, t], [r, t], [r, b]] as const) {
    const [px, py] = rotate(cx, cy, angle);
    pts.push(px + offset, py + offset);
  }
  surf.fillPolygon(pts, PENDULUM_ROD_COLOR);
  const endRadius = Math.trunc(rodWidth / 2);
  surf.fillCircle(offset, offset, endRadius, PENDULUM_ROD_COLOR);
  const [ex, ey] = rotate(rodLength, 0, angle);
  surf.fillCircle(Math.trunc(ex + offset), Math.trunc(ey + offset), endRadius, PENDULUM_ROD_COLOR);
  surf.fillCircle(offset, offset, Math.trunc(0.05 * scale), AXLE);
  return surf.toFrame(true);
}
