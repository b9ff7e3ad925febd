/**
 * Animated GIFs from RGBA frames, browser-safe. Uses gif-encoder-2's NeuQuant quantiser for
 * frames with many colours, and our own LZW coder (./gif-lzw.ts). gif-encoder-2's GIFEncoder
 * class itself needs Node's stream/events/Buffer, pushes every output byte through a JS array
 * and quantises every frame with NeuQuant (about 200 ms per 600x400 frame here), and its
 * LZWEncoder leaks undeclared globals, which throws in strict-mode (ES module) bundles.
 *
 * What makes it fast for environment renders (few flat colours, small moving parts):
 * - exact palettes: a frame with at most 256 distinct colours keeps its colours exactly, and
 *   frames whose colours are all in the first frame's (global) palette carry no local palette;
 * - frame differencing: only the rectangle that changed since the previous frame is encoded
 *   (disposal "do not dispose"), and an unchanged frame just lengthens the previous frame's delay;
 * - optional frame skipping (`frameStep`) and integer downscaling (`scale`).
 * Frames with more than 256 colours fall back to NeuQuant.
 */
import NeuQuant from 'gif-encoder-2/src/TypedNeuQuant.js';
import { InvalidArgumentError } from '../errors.js';
import { GifLzwEncoder } from './gif-lzw.js';

/**
 * NeuQuant steps through its input by one of four primes near 500 (499, 491, 487, 503) so that its
 * samples spread over the picture; the largest is 503, and an input shorter than 503 pixels
 * (NeuQuant's `minpicturebytes`, 3 * 503 bytes) is learned pixel by pixel instead.
 */
const NEUQUANT_LARGEST_PRIME = 503;
/** The input NeuQuant samples with its prime steps: 503 RGB pixels. */
export const NEUQUANT_MIN_SAMPLE_BYTES = 3 * NEUQUANT_LARGEST_PRIME;

/**
 * The pixels NeuQuant learns a palette from: `rgb` itself, or for a rectangle under 503 pixels
 * as many whole copies of it as make at least 503 pixels (a 1-pixel rectangle gives 1509 bytes).
 */
export function neuQuantSample(rgb: Uint8Array): Uint8Array {
  if (rgb.length >= NEUQUANT_MIN_SAMPLE_BYTES) return rgb;
  if (rgb.length === 0 || rgb.length % 3 !== 0) throw new InvalidArgumentError(`neuQuantSample: expected whole RGB pixels, got ${rgb.length} bytes`);
  const copies = Math.ceil(NEUQUANT_MIN_SAMPLE_BYTES / rgb.length);
  const sample = new Uint8Array(copies * rgb.length);
  for (let c = 0; c < copies; c++) sample.set(rgb, c * rgb.length);
  return sample;
}

/** Options for {@link GifWriter} and {@link encodeGif}. */
export interface GifOptions {
  /** Width of the input frames in pixels. */
  width: number;
  /** Height of the input frames in pixels. */
  height: number;
  /**
   * Time each input frame is shown, in ms (default 20, CartPole's 50 fps). GIF delays are in
   * 1/100 s and browsers show delays under 20 ms as 100 ms, so the written delay is at least 20 ms.
   */
  delayMs?: number;
  /** NETSCAPE loop count: 0 loops forever (default), n > 0 repeats n more times, -1 plays once (no loop block). */
  repeat?: number;
  /** Keep every `frameStep`-th frame, showing each for `frameStep * delayMs` (default 1). */
  frameStep?: number;
  /** Integer downscale factor with box averaging (default 1: full size). */
  scale?: number;
  /** 'auto' (default): exact colours when a frame has <= 256 of them, NeuQuant otherwise. */
  quantizer?: 'auto' | 'neuquant';
  /** NeuQuant sampling factor 1 (best, slowest) to 30 (default 10). */
  neuquantSample?: number;
  /** Encode only the changed rectangle of each frame (default true). */
  diffFrames?: boolean;
}

/** A growable byte buffer LZWEncoder can write into. */
class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  writeByte(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value & 0xff;
  }

  writeBytes(array: ArrayLike<number>, offset = 0, length = array.length - offset): void {
    this.ensure(length);
    for (let i = 0; i < length; i++) this.bytes[this.length++] = array[offset + i] & 0xff;
  }

  writeShort(value: number): void {
    this.writeByte(value & 0xff);
    this.writeByte((value >> 8) & 0xff);
  }

  writeAscii(text: string): void {
    for (let i = 0; i < text.length; i++) this.writeByte(text.charCodeAt(i));
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

interface Palette {
  /** r, g, b triples, padded to 2^depth entries. */
  table: Uint8Array;
  depth: number;
  /** Exact colour (0xRRGGBB) to index; null for a NeuQuant palette. */
  exact: Map<number, number> | null;
  quantizer: NeuQuant | null;
}

interface PendingFrame {
  x: number;
  y: number;
  w: number;
  h: number;
  indices: Uint8Array;
  local: Palette | null;
  depth: number;
  delayMs: number;
}

/** Streams frames into an animated GIF: `addFrame` each frame, then `finish`. */
export class GifWriter {
  readonly outWidth: number;
  readonly outHeight: number;
  private readonly out = new ByteWriter();
  private readonly lzw = new GifLzwEncoder();
  private readonly options: Required<GifOptions>;
  private readonly current: Uint8Array;
  private previous: Uint8Array | null = null;
  private global: Palette | null = null;
  private pending: PendingFrame | null = null;
  private inputCount = 0;
  private writtenDelayCs = 0;
  private elapsedMs = 0;
  private finished = false;
  private images = 0;

  /** Number of image blocks written so far (identical consecutive frames merge into one). */
  get imageCount(): number {
    return this.images;
  }

  constructor(options: GifOptions) {
    const scale = options.scale ?? 1;
    const frameStep = options.frameStep ?? 1;
    if (!Number.isInteger(options.width) || !Number.isInteger(options.height) || options.width <= 0 || options.height <= 0) {
      throw new InvalidArgumentError(`GifWriter: bad size ${options.width}x${options.height}`);
    }
    if (!Number.isInteger(scale) || scale < 1) throw new InvalidArgumentError(`GifWriter: scale must be an integer >= 1, got ${scale}`);
    if (!Number.isInteger(frameStep) || frameStep < 1) {
      throw new InvalidArgumentError(`GifWriter: frameStep must be an integer >= 1, got ${frameStep}`);
    }
    this.options = {
      width: options.width,
      height: options.height,
      delayMs: options.delayMs ?? 20,
      repeat: options.repeat ?? 0,
      frameStep,
      scale,
      quantizer: options.quantizer ?? 'auto',
      neuquantSample: Math.min(30, Math.max(1, Math.round(options.neuquantSample ?? 10))),
      diffFrames: options.diffFrames ?? true,
    };
    this.outWidth = Math.max(1, Math.floor(options.width / scale));
    this.outHeight = Math.max(1, Math.floor(options.height / scale));
    if (this.outWidth > 0xffff || this.outHeight > 0xffff) throw new InvalidArgumentError('GifWriter: image too large for GIF');
    this.current = new Uint8Array(this.outWidth * this.outHeight * 3);
    this.out.writeAscii('GIF89a');
  }

  /** Adds one RGBA frame of the input size (alpha is ignored). */
  addFrame(rgba: Uint8Array | Uint8ClampedArray): void {
    if (this.finished) throw new InvalidArgumentError('GifWriter: addFrame after finish');
    const { width, height, frameStep, delayMs } = this.options;
    if (rgba.length !== width * height * 4) {
      throw new InvalidArgumentError(`GifWriter: frame ${this.inputCount} has ${rgba.length} bytes, expected ${width}x${height}x4`);
    }
    const index = this.inputCount++;
    if (index % frameStep !== 0) return;
    this.toRgb(rgba);
    const shownMs = delayMs * frameStep;
    const rect = this.changedRect();
    if (rect === null && this.pending) {
      this.pending.delayMs += shownMs;
    } else {
      this.flushPending();
      const r = rect ?? { x: 0, y: 0, w: this.outWidth, h: this.outHeight };
      this.pending = this.makeFrame(r.x, r.y, r.w, r.h, shownMs);
    }
    if (this.previous === null) this.previous = new Uint8Array(this.current.length);
    this.previous.set(this.current);
  }

  /** Ends the stream and returns the GIF file. */
  finish(): Uint8Array {
    if (!this.finished) {
      if (!this.pending && !this.global) throw new InvalidArgumentError('GifWriter: no frames were added');
      this.flushPending();
      this.out.writeByte(0x3b);
      this.finished = true;
    }
    return this.out.result();
  }

  /** Copies (and box-downscales) RGBA input into the RGB working frame. */
  private toRgb(rgba: Uint8Array | Uint8ClampedArray): void {
    const { width, scale } = this.options;
    const w = this.outWidth;
    const h = this.outHeight;
    const cur = this.current;
    if (scale === 1) {
      for (let p = 0, q = 0, n = w * h; p < n; p++, q += 4) {
        cur[p * 3] = rgba[q];
        cur[p * 3 + 1] = rgba[q + 1];
        cur[p * 3 + 2] = rgba[q + 2];
      }
      return;
    }
    const area = scale * scale;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = 0; dy < scale; dy++) {
          let q = ((y * scale + dy) * width + x * scale) * 4;
          for (let dx = 0; dx < scale; dx++, q += 4) {
            r += rgba[q];
            g += rgba[q + 1];
            b += rgba[q + 2];
          }
        }
        const p = (y * w + x) * 3;
        cur[p] = Math.round(r / area);
        cur[p + 1] = Math.round(g / area);
        cur[p + 2] = Math.round(b / area);
      }
    }
  }

  /** The bounding box of pixels that differ from the previous frame; null when none do. */
  private changedRect(): { x: number; y: number; w: number; h: number } | null {
    const prev = this.previous;
    if (prev === null || !this.options.diffFrames) return { x: 0, y: 0, w: this.outWidth, h: this.outHeight };
    const w = this.outWidth;
    const cur = this.current;
    let x0 = w;
    let x1 = -1;
    let y0 = -1;
    let y1 = -1;
    for (let y = 0; y < this.outHeight; y++) {
      const row = y * w * 3;
      let first = -1;
      let last = -1;
      for (let x = 0; x < w; x++) {
        const p = row + x * 3;
        if (cur[p] !== prev[p] || cur[p + 1] !== prev[p + 1] || cur[p + 2] !== prev[p + 2]) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first >= 0) {
        if (y0 < 0) y0 = y;
        y1 = y;
        if (first < x0) x0 = first;
        if (last > x1) x1 = last;
      }
    }
    if (y0 < 0) return null;
    return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  }

  /** Quantises the rectangle of the working frame into palette indices. */
  private makeFrame(x: number, y: number, w: number, h: number, delayMs: number): PendingFrame {
    const rgb = new Uint8Array(w * h * 3);
    for (let row = 0; row < h; row++) {
      const src = ((y + row) * this.outWidth + x) * 3;
      rgb.set(this.current.subarray(src, src + w * 3), row * w * 3);
    }
    const indices = new Uint8Array(w * h);
    const useExact = this.options.quantizer === 'auto';
    // 1. The global palette, when every colour of the rectangle is in it.
    if (this.global?.exact && useExact && this.indexExact(rgb, indices, this.global.exact)) {
      return { x, y, w, h, indices, local: null, depth: this.global.depth, delayMs };
    }
    // 2. An exact palette of the rectangle's colours, or 3. NeuQuant.
    const palette = (useExact ? this.exactPalette(rgb) : null) ?? this.neuQuantPalette(rgb);
    if (palette.exact) this.indexExact(rgb, indices, palette.exact);
    else {
      const q = palette.quantizer as NeuQuant;
      for (let p = 0, n = w * h; p < n; p++) indices[p] = q.lookupRGB(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]);
    }
    if (this.global === null) {
      this.global = palette;
      return { x, y, w, h, indices, local: null, depth: palette.depth, delayMs };
    }
    return { x, y, w, h, indices, local: palette, depth: palette.depth, delayMs };
  }

  /** Fills `indices` from an exact map; false as soon as a colour is missing. */
  private indexExact(rgb: Uint8Array, indices: Uint8Array, map: Map<number, number>): boolean {
    let lastKey = -1;
    let lastIndex = 0;
    for (let p = 0, n = indices.length; p < n; p++) {
      const key = (rgb[p * 3] << 16) | (rgb[p * 3 + 1] << 8) | rgb[p * 3 + 2];
      if (key !== lastKey) {
        const found = map.get(key);
        if (found === undefined) return false;
        lastKey = key;
        lastIndex = found;
      }
      indices[p] = lastIndex;
    }
    return true;
  }

  /** The exact palette of the colours present, or null when there are more than 256. */
  private exactPalette(rgb: Uint8Array): Palette | null {
    const map = new Map<number, number>();
    let lastKey = -1;
    for (let p = 0, n = rgb.length / 3; p < n; p++) {
      const key = (rgb[p * 3] << 16) | (rgb[p * 3 + 1] << 8) | rgb[p * 3 + 2];
      if (key === lastKey || map.has(key)) continue;
      lastKey = key;
      if (map.size === 256) return null;
      map.set(key, map.size);
    }
    const depth = Math.max(1, Math.ceil(Math.log2(map.size)));
    const table = new Uint8Array(3 << depth);
    for (const [key, i] of map) {
      table[i * 3] = key >> 16;
      table[i * 3 + 1] = (key >> 8) & 0xff;
      table[i * 3 + 2] = key & 0xff;
    }
    return { table, depth, exact: map, quantizer: null };
  }

  private neuQuantPalette(rgb: Uint8Array): Palette {
    const quantizer = new NeuQuant(neuQuantSample(rgb), this.options.neuquantSample);
    quantizer.buildColormap();
    return { table: Uint8Array.from(quantizer.getColormap()), depth: 8, exact: null, quantizer };
  }

  private flushPending(): void {
    const frame = this.pending;
    if (!frame) return;
    this.pending = null;
    const out = this.out;
    if (this.images === 0) {
      const global = this.global as Palette;
      // Logical screen descriptor with the global colour table.
      out.writeShort(this.outWidth);
      out.writeShort(this.outHeight);
      out.writeByte(0x80 | ((global.depth - 1) << 4) | (global.depth - 1));
      out.writeByte(0); // background colour index
      out.writeByte(0); // pixel aspect ratio
      out.writeBytes(global.table);
      if (this.options.repeat >= 0) {
        out.writeByte(0x21);
        out.writeByte(0xff);
        out.writeByte(11);
        out.writeAscii('NETSCAPE2.0');
        out.writeByte(3);
        out.writeByte(1);
        out.writeShort(this.options.repeat);
        out.writeByte(0);
      }
    }
    // Delay: whole centiseconds that track the true elapsed time, at least 2 (20 ms).
    this.elapsedMs += frame.delayMs;
    const delayCs = Math.max(2, Math.round(this.elapsedMs / 10) - this.writtenDelayCs);
    this.writtenDelayCs += delayCs;
    // Graphic control extension: disposal 1 (leave in place), no transparency.
    out.writeByte(0x21);
    out.writeByte(0xf9);
    out.writeByte(4);
    out.writeByte(1 << 2);
    out.writeShort(delayCs);
    out.writeByte(0);
    out.writeByte(0);
    // Image descriptor (+ local colour table).
    out.writeByte(0x2c);
    out.writeShort(frame.x);
    out.writeShort(frame.y);
    out.writeShort(frame.w);
    out.writeShort(frame.h);
    if (frame.local) {
      out.writeByte(0x80 | (frame.local.depth - 1));
      out.writeBytes(frame.local.table);
    } else {
      out.writeByte(0);
    }
    this.lzw.encode(frame.indices, frame.depth, out);
    this.images++;
  }
}

/** Encodes a sequence of RGBA frames (an array or any iterable, e.g. a generator) as a GIF. */
export function encodeGif(frames: Iterable<Uint8Array | Uint8ClampedArray>, options: GifOptions): Uint8Array {
  const writer = new GifWriter(options);
  for (const frame of frames) writer.addFrame(frame);
  return writer.finish();
}

/** Like {@link encodeGif} for async iterables (frames rendered while an episode runs). */
export async function encodeGifAsync(
  frames: AsyncIterable<Uint8Array | Uint8ClampedArray> | Iterable<Uint8Array | Uint8ClampedArray>,
  options: GifOptions,
): Promise<Uint8Array> {
  const writer = new GifWriter(options);
  for await (const frame of frames) writer.addFrame(frame);
  return writer.finish();
}
