/**
 * Gymnasium's MountainCar `render()` (rgb_array): 600x400 hill, car, wheels and flag, flipped
 * vertically. MountainCarContinuous-v0 draws the same scene with its flag at 0.45.
 */
import type { RgbFrame } from '../types.js';
import { rotate, Surface, type Rgb } from './raster.js';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const GOAL_POSITION = 0.5;
const BLACK: Rgb = [0, 0, 0];
const WHEEL: Rgb = [128, 128, 128];
const FLAG: Rgb = [204, 204, 0];

/** The hill height at position `x`: `sin(3x) * 0.45 + 0.55`. */
export function mountainHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/**
 * Draws the car at `position` as Gymnasium's `MountainCarEnv.render` (outline anti-aliasing
 * omitted), with the flag at `goalPosition` (0.5 for MountainCar-v0, 0.45 for MountainCarContinuous-v0).
 */
export function renderMountainCar(position: number, goalPosition = GOAL_POSITION): RgbFrame {
  const width = 600, height = 400;
  const surf = new Surface(width, height);
  surf.fill([255, 255, 255]);
  const scale = width / (MAX_POSITION - MIN_POSITION);
  const carwidth = 40, carheight = 20, clearance = 10;
  let prevX = 0, prevY = 0;
  for (let i = 0; i < 100; i++) {
    const xs = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * i) / 99;
    const px = (xs - MIN_POSITION) * scale, py = mountainHeight(xs) * scale;
    if (i > 0) surf.line(prevX, prevY, px, py, BLACK);
    prevX = px;
    prevY = py;
  }
  const angle = Math.cos(3 * position);
  const baseX = (position - MIN_POSITION) * scale;
  const baseY = clearance + mountainHeight(position) * scale;
  const pts: number[] = [];
  for (const [cx, cy] of [[-carwidth / 2, 0], [-carwidth / 2, carheight], [carwidth / 2, carheight], [carwidth / 2, 0]] as const) {
    const [rx, ry] = rotate(cx, cy, angle);
    pts.push(rx + baseX, ry + baseY);
  }
  surf.fillPolygon(pts, BLACK);
  for (const cx of [carwidth / 4, -carwidth / 4]) {
    const [rx, ry] = rotate(cx, 0, angle);
    surf.fillCircle(Math.trunc(rx + baseX), Math.trunc(ry + baseY), Math.trunc(carheight / 2.5), WHEEL);
  }
  const flagx = Math.trunc((goalPosition - MIN_POSITION) * scale);
  const flagy1 = Math.trunc(mountainHeight(goalPosition) * scale);
  const flagy2 = flagy1 + 50;
  surf.vline(flagx, flagy1, flagy2, BLACK);
  surf.fillPolygon([flagx, flagy2, flagx, flagy2 - 10, flagx + 25, flagy2 - 5], FLAG);
  return surf.toFrame(true);
}
