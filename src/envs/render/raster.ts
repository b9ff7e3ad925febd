/**
 * A tiny software rasteriser: the handful of pygame drawing calls Gymnasium's classic-control
 * renderers use, on an RGB surface in plain TypeScript (runs in Node and in the browser).
 * Filled polygons and circles follow SDL_gfx's integer algorithms (`filledPolygonColor`,
 * `filledCircleColor`, which pygame's `gfxdraw` wraps), with vertices truncated toward zero to
 * integers as pygame's gfxdraw does (`PyNumber_Long`). The anti-aliased outlines (`gfxdraw.aapolygon`, `aacircle`) are not drawn, so
 * edge pixels can differ from Gymnasium's frames by the blend of one outline pixel.
 */
import type { RgbFrame } from '../types.js';

/** An RGB colour, each channel 0-255, as an [r, g, b] tuple (the plot rasteriser's RgbColour is an object). */
export type Rgb = readonly [number, number, number];

/** A drawing surface with pygame's coordinates (x right, y down, origin top-left). */
export class Surface {
  readonly width: number;
  readonly height: number;
  /** RGB bytes, row-major. */
  readonly pixels: Uint8Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
  }

  /** `surface.fill(color)`. */
  fill(color: Rgb): void {
    const p = this.pixels;
    for (let i = 0; i < p.length; i += 3) {
      p[i] = color[0];
      p[i + 1] = color[1];
      p[i + 2] = color[2];
    }
  }

  /** One pixel, ignored outside the surface. */
  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.pixels[i] = color[0];
    this.pixels[i + 1] = color[1];
    this.pixels[i + 2] = color[2];
  }

  /** SDL_gfx `hlineColor`: pixels x1..x2 inclusive (either order) on row y, clipped. */
  hline(x1: number, x2: number, y: number, color: Rgb): void {
    if (y < 0 || y >= this.height) return;
    let a = Math.min(x1, x2), b = Math.max(x1, x2);
    if (b < 0 || a >= this.width) return;
    a = Math.max(a, 0);
    b = Math.min(b, this.width - 1);
    const p = this.pixels;
    for (let i = (y * this.width + a) * 3, end = (y * this.width + b) * 3; i <= end; i += 3) {
      p[i] = color[0];
      p[i + 1] = color[1];
      p[i + 2] = color[2];
    }
  }

  /** SDL_gfx `vlineColor`: pixels y1..y2 inclusive on column x. */
  vline(x: number, y1: number, y2: number, color: Rgb): void {
    for (let y = Math.min(y1, y2); y <= Math.max(y1, y2); y++) this.setPixel(x, y, color);
  }

  /**
   * `gfxdraw.filled_polygon`: SDL_gfx's scanline fill on integer (truncated) vertices.
   * `points` holds [x0, y0, x1, y1, ...].
   */
  fillPolygon(points: readonly number[], color: Rgb): void {
    const n = points.length / 2;
    if (n < 3) return;
    const vx = new Int32Array(n), vy = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      vx[i] = Math.trunc(points[2 * i]);
      vy[i] = Math.trunc(points[2 * i + 1]);
    }
    let miny = vy[0], maxy = vy[0];
    for (let i = 1; i < n; i++) {
      if (vy[i] < miny) miny = vy[i];
      else if (vy[i] > maxy) maxy = vy[i];
    }
    const ints: number[] = [];
    for (let y = miny; y <= maxy; y++) {
      ints.length = 0;
      for (let i = 0; i < n; i++) {
        const i1 = i === 0 ? n - 1 : i - 1, i2 = i;
        let y1 = vy[i1], y2 = vy[i2], x1: number, x2: number;
        if (y1 < y2) {
          x1 = vx[i1];
          x2 = vx[i2];
        } else if (y1 > y2) {
          y2 = vy[i1];
          y1 = vy[i2];
          x2 = vx[i1];
          x1 = vx[i2];
        } else continue;
        if ((y >= y1 && y < y2) || (y === maxy && y > y1 && y <= y2)) {
          ints.push(Math.trunc((65536 * (y - y1)) / (y2 - y1)) * (x2 - x1) + 65536 * x1);
        }
      }
      ints.sort((a, b) => a - b);
      for (let i = 0; i + 1 < ints.length; i += 2) {
        let xa = ints[i] + 1;
        xa = (xa >> 16) + ((xa & 32768) >> 15);
        let xb = ints[i + 1] - 1;
        xb = (xb >> 16) + ((xb & 32768) >> 15);
        this.hline(xa, xb, y, color);
      }
    }
  }

  /** `gfxdraw.filled_circle`: SDL_gfx's midpoint filled circle at integer centre and radius. */
  fillCircle(x: number, y: number, rad: number, color: Rgb): void {
    if (rad < 0) return;
    if (rad === 0) {
      this.setPixel(x, y, color);
      return;
    }
    let cx = 0, cy = rad, ocx = -1, ocy = -1;
    let df = 1 - rad, dE = 3, dSE = -2 * rad + 5;
    do {
      const xpcx = x + cx, xmcx = x - cx, xpcy = x + cy, xmcy = x - cy;
      if (ocy !== cy) {
        if (cy > 0) {
          this.hline(xmcx, xpcx, y + cy, color);
          this.hline(xmcx, xpcx, y - cy, color);
        } else this.hline(xmcx, xpcx, y, color);
        ocy = cy;
      }
      if (ocx !== cx) {
        if (cx !== cy) {
          if (cx > 0) {
            this.hline(xmcy, xpcy, y - cx, color);
            this.hline(xmcy, xpcy, y + cx, color);
          } else this.hline(xmcy, xpcy, y, color);
        }
        ocx = cx;
      }
      if (df < 0) {
        df += dE;
        dE += 2;
        dSE += 2;
      } else {
        df += dSE;
        dE += 2;
        dSE += 4;
        cy--;
      }
      cx++;
    } while (cx <= cy);
  }

  /** A 1-pixel line (Bresenham) between integer-rounded end points, like `pygame.draw.line` of width 1. */
  line(x0f: number, y0f: number, x1f: number, y1f: number, color: Rgb): void {
    let x0 = Math.floor(x0f), y0 = Math.floor(y0f);
    const x1 = Math.floor(x1f), y1 = Math.floor(y1f);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.setPixel(x0, y0, color);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** An RGBA frame of the surface; `flipY` mirrors it vertically (`pygame.transform.flip(surf, False, True)`). */
  toFrame(flipY: boolean, out?: Uint8ClampedArray): RgbFrame {
    const { width, height, pixels } = this;
    const data = out ?? new Uint8ClampedArray(width * height * 4);
    for (let row = 0; row < height; row++) {
      const srcRow = flipY ? height - 1 - row : row;
      let s = srcRow * width * 3;
      let d = row * width * 4;
      for (let x = 0; x < width; x++, s += 3, d += 4) {
        data[d] = pixels[s];
        data[d + 1] = pixels[s + 1];
        data[d + 2] = pixels[s + 2];
        data[d + 3] = 255;
      }
    }
    return { width, height, data };
  }
}

/** `pygame.math.Vector2((x, y)).rotate_rad(angle)` as [x', y']. */
export function rotate(x: number, y: number, angle: number): [number, number] {
  const c = Math.cos(angle), s = Math.sin(angle);
  return [x * c - y * s, x * s + y * c];
}
