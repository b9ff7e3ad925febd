/** Gymnasium's Acrobot `render()` (rgb_array): 500x500, two links and joints, then flipped vertically. */
import type { RgbFrame } from '../types.js';
import { rotate, Surface, type Rgb } from './raster.js';

export const ACROBOT_SCREEN_DIM = 500;
const LINK_COLOR: Rgb = [0, 204, 204];
const JOINT_COLOR: Rgb = [204, 204, 0];

/** Draws the Acrobot with link angles `theta1`, `theta2` as Gymnasium's `AcrobotEnv.render`. */
export function renderAcrobot(theta1: number, theta2: number): RgbFrame {
  const dim = ACROBOT_SCREEN_DIM;
  const surf = new Surface(dim, dim);
  surf.fill([255, 255, 255]);
  const bound = 1.0 + 1.0 + 0.2;
  const scale = dim / (bound * 2);
  const offset = dim / 2;
  const p1 = [-1.0 * Math.cos(theta1) * scale, 1.0 * Math.sin(theta1) * scale];
  // Gymnasium swaps each point's coordinates (xys[:, ::-1]) and draws only the first two links' bases.
  const bases: [number, number][] = [[0, 0], [p1[1], p1[0]]];
  const thetas = [theta1 - Math.PI / 2, theta1 + theta2 - Math.PI / 2];
  const linkLength = 1.0 * scale;
  surf.line(-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, [0, 0, 0]);
  for (let k = 0; k < 2; k++) {
    const x = bases[k][0] + offset;
    const y = bases[k][1] + offset;
    const [l, r, t, b] = [0, linkLength, 0.1 * scale, -0.1 * scale];
    const pts: number[] = [];
    for (const [cx, cy] of [[l, b], [l, t], [r, t], [r, b]] as const) {
      const [px, py] = rotate(cx, cy, thetas[k]);
      pts.push(px + x, py + y);
    }
    surf.fillPolygon(pts, LINK_COLOR);
    surf.fillCircle(Math.trunc(x), Math.trunc(y), Math.trunc(0.1 * scale), JOINT_COLOR);
  }
  return surf.toFrame(true);
}
