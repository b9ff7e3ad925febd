/**
 * A small RGBA raster canvas: anti-aliased thick polylines, rectangles and bitmap-font text.
 * Just enough to draw plots without a DOM canvas, so it runs in Node and the browser alike.
 */
import { GLYPH_ASCENT, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, textWidth } from './bitmap-font.js';

/** An sRGB colour with channels 0-255, as an object (the env renderer's Rgb is an [r, g, b] tuple). */
export interface RgbColour {
  r: number;
  g: number;
  b: number;
}

/** Parses '#rrggbb'. */
export function parseHexColour(hex: string): RgbColour {
  const m = /^#([0-9a-fA-F]{6})$/.exec(hex);
  if (!m) throw new Error(`bad colour '${hex}', expected #rrggbb`);
  const v = parseInt(m[1], 16);
  return { r: v >> 16, g: (v >> 8) & 0xff, b: v & 0xff };
}

/** A clip rectangle in pixels: [x0, x1) x [y0, y1). */
export interface ClipRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Text placement options for {@link RasterCanvas.text}. */
export interface TextOptions {
  /** Font pixel size in device pixels (default 1). */
  scale?: number;
  /** Horizontal anchor at x (default 'left'). */
  align?: 'left' | 'center' | 'right';
  /** Vertical anchor at y (default 'baseline'). */
  valign?: 'top' | 'middle' | 'baseline';
  /** Draw each glyph twice, one pixel apart: a bold face. */
  bold?: boolean;
  /** Rotate 90 degrees counter-clockwise (for a y-axis label); x/y anchor the rotated text. */
  vertical?: boolean;
}

/** An RGBA canvas with straight (non-premultiplied) 8-bit pixels, opaque background. */
export class RasterCanvas {
  readonly rgba: Uint8Array;
  private mask: Float32Array;

  constructor(readonly width: number, readonly height: number, background: RgbColour = { r: 255, g: 255, b: 255 }) {
    this.rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.rgba[i * 4] = background.r;
      this.rgba[i * 4 + 1] = background.g;
      this.rgba[i * 4 + 2] = background.b;
      this.rgba[i * 4 + 3] = 255;
    }
    this.mask = new Float32Array(width * height);
  }

  /** Blends `colour` over pixel (x, y) with opacity `alpha` (0-1). */
  blend(x: number, y: number, colour: RgbColour, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = (y * this.width + x) * 4;
    const a = Math.min(1, alpha);
    const px = this.rgba;
    px[i] = Math.round(px[i] + (colour.r - px[i]) * a);
    px[i + 1] = Math.round(px[i + 1] + (colour.g - px[i + 1]) * a);
    px[i + 2] = Math.round(px[i + 2] + (colour.b - px[i + 2]) * a);
  }

  /** Fills the pixel rectangle [x, x + w) x [y, y + h). */
  fillRect(x: number, y: number, w: number, h: number, colour: RgbColour, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, colour, alpha);
  }

  /**
   * Strokes a polyline of `lineWidth` pixels with anti-aliased edges. Coordinates are in pixel
   * units where pixel (i, j) covers [i, i + 1) x [j, j + 1). Overlapping segments do not darken
   * each other: coverage is accumulated as a maximum, then composited once with `alpha`.
   * NaN points break the line.
   */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, lineWidth: number, colour: RgbColour, alpha = 1, clip?: ClipRect): void {
    const c = clip ?? { x0: 0, y0: 0, x1: this.width, y1: this.height };
    const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const half = lineWidth / 2;
    if (xs.length === 1 && Number.isFinite(xs[0]) && Number.isFinite(ys[0])) {
      this.segmentCoverage(xs[0], ys[0], xs[0], ys[0], half, c, box);
    }
    for (let i = 1; i < xs.length; i++) {
      const ax = xs[i - 1];
      const ay = ys[i - 1];
      const bx = xs[i];
      const by = ys[i];
      if (!Number.isFinite(ax + ay + bx + by)) continue;
      this.segmentCoverage(ax, ay, bx, by, half, c, box);
    }
    this.compositeMask(box, colour, alpha);
  }

  /** A dashed straight line (dash and gap lengths in pixels). */
  dashedLine(ax: number, ay: number, bx: number, by: number, lineWidth: number, dash: number, gap: number, colour: RgbColour, alpha = 1, clip?: ClipRect): void {
    const c = clip ?? { x0: 0, y0: 0, x1: this.width, y1: this.height };
    const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const length = Math.hypot(bx - ax, by - ay);
    if (length === 0) return;
    const ux = (bx - ax) / length;
    const uy = (by - ay) / length;
    for (let s = 0; s < length; s += dash + gap) {
      const e = Math.min(length, s + dash);
      this.segmentCoverage(ax + ux * s, ay + uy * s, ax + ux * e, ay + uy * e, lineWidth / 2, c, box);
    }
    this.compositeMask(box, colour, alpha);
  }

  private segmentCoverage(ax: number, ay: number, bx: number, by: number, half: number, clip: ClipRect, box: ClipRect): void {
    const pad = half + 1;
    const x0 = Math.max(clip.x0, Math.floor(Math.min(ax, bx) - pad));
    const x1 = Math.min(clip.x1, Math.ceil(Math.max(ax, bx) + pad));
    const y0 = Math.max(clip.y0, Math.floor(Math.min(ay, by) - pad));
    const y1 = Math.min(clip.y1, Math.ceil(Math.max(ay, by) + pad));
    if (x0 >= x1 || y0 >= y1) return;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x < x1; x++) {
        const px = x + 0.5;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - (ax + t * dx);
        const ey = py - (ay + t * dy);
        const d = Math.sqrt(ex * ex + ey * ey);
        const coverage = half + 0.5 - d;
        if (coverage <= 0) continue;
        const i = y * this.width + x;
        const v = coverage >= 1 ? 1 : coverage;
        if (v > this.mask[i]) this.mask[i] = v;
      }
    }
    if (x0 < box.x0) box.x0 = x0;
    if (y0 < box.y0) box.y0 = y0;
    if (x1 > box.x1) box.x1 = x1;
    if (y1 > box.y1) box.y1 = y1;
  }

  private compositeMask(box: ClipRect, colour: RgbColour, alpha: number): void {
    if (box.x0 >= box.x1) return;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const i = y * this.width + x;
        const m = this.mask[i];
        if (m > 0) {
          this.blend(x, y, colour, m * alpha);
          this.mask[i] = 0;
        }
      }
    }
  }

  /** Draws text with the built-in bitmap font; returns its width in pixels. */
  text(text: string, x: number, y: number, colour: RgbColour, options: TextOptions = {}): number {
    const s = Math.max(1, Math.round(options.scale ?? 1));
    const boldShift = Math.max(1, Math.round(s / 2));
    const width = textWidth(text) * s + (options.bold ? boldShift : 0);
    const align = options.align ?? 'left';
    const valign = options.valign ?? 'baseline';
    let along = align === 'left' ? 0 : align === 'center' ? -Math.round(width / 2) : -width;
    const top = valign === 'top' ? 0 : valign === 'middle' ? -Math.round((GLYPH_ASCENT * s) / 2) : -GLYPH_ASCENT * s;
    for (const ch of text) {
      const rows = glyphRows(ch);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        const bits = rows[gy];
        if (bits === 0) continue;
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (!(bits & (1 << (GLYPH_WIDTH - 1 - gx)))) continue;
          for (let b = 0; b <= (options.bold ? 1 : 0); b++) {
            const u = along + gx * s + b * boldShift; // along the text direction
            const v = top + gy * s; // across it, downwards
            if (options.vertical) this.fillRect(x + v, y - u - s, s, s, colour);
            else this.fillRect(x + u, y + v, s, s, colour);
          }
        }
      }
      along += (GLYPH_WIDTH + 1) * s;
    }
    return width;
  }
}
