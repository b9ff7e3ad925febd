import { describe, expect, it } from 'vitest';
import { encodeGif, encodeGifAsync, GifWriter, NEUQUANT_MIN_SAMPLE_BYTES, neuQuantSample } from '../src/io/gif.js';
import { GifLzwEncoder } from '../src/io/gif-lzw.js';
import { Rng } from '../src/random/rng.js';

interface DecodedGif {
  width: number;
  height: number;
  hasGlobalTable: boolean;
  loopCount: number | null;
  /** Per image: delay (1/100 s), rectangle, whether it had a local table, and the screen after it (RGB). */
  images: { delayCs: number; disposal: number; x: number; y: number; w: number; h: number; local: boolean; screen: Uint8Array }[];
  trailer: boolean;
}

/** A small GIF parser and LZW decoder, independent of the encoder under test. */
function decodeGif(bytes: Uint8Array): DecodedGif {
  const ascii = (a: number, n: number) => String.fromCharCode(...bytes.subarray(a, a + n));
  expect(ascii(0, 6)).toBe('GIF89a');
  const u16 = (a: number) => bytes[a] | (bytes[a + 1] << 8);
  const width = u16(6);
  const height = u16(8);
  const flags = bytes[10];
  let at = 13;
  let global: Uint8Array | null = null;
  if (flags & 0x80) {
    const size = 3 << ((flags & 7) + 1);
    global = bytes.subarray(at, at + size);
    at += size;
  }
  const screen = new Uint8Array(width * height * 3);
  const out: DecodedGif = { width, height, hasGlobalTable: global !== null, loopCount: null, images: [], trailer: false };
  let delayCs = 0;
  let disposal = 0;
  const readSubBlocks = (): Uint8Array => {
    const parts: number[] = [];
    while (bytes[at] !== 0) {
      const n = bytes[at];
      for (let i = 1; i <= n; i++) parts.push(bytes[at + i]);
      at += n + 1;
    }
    at++;
    return Uint8Array.from(parts);
  };
  while (at < bytes.length) {
    const block = bytes[at++];
    if (block === 0x3b) {
      out.trailer = true;
      break;
    }
    if (block === 0x21) {
      const label = bytes[at++];
      if (label === 0xf9) {
        disposal = (bytes[at + 1] >> 2) & 7;
        delayCs = u16(at + 2);
        at += 6;
      } else if (label === 0xff && ascii(at + 1, 11) === 'NETSCAPE2.0') {
        at += 12;
        const data = readSubBlocks();
        out.loopCount = data[1] | (data[2] << 8);
      } else {
        at += bytes[at] + 1;
        readSubBlocks();
      }
    } else if (block === 0x2c) {
      const x = u16(at);
      const y = u16(at + 2);
      const w = u16(at + 4);
      const h = u16(at + 6);
      const f = bytes[at + 8];
      at += 9;
      let table = global;
      if (f & 0x80) {
        const size = 3 << ((f & 7) + 1);
        table = bytes.subarray(at, at + size);
        at += size;
      }
      expect(f & 0x40).toBe(0); // not interlaced
      const minCode = bytes[at++];
      const indices = lzwDecode(readSubBlocks(), minCode, w * h);
      for (let p = 0; p < w * h; p++) {
        const s = ((y + Math.floor(p / w)) * width + x + (p % w)) * 3;
        screen[s] = table![indices[p] * 3];
        screen[s + 1] = table![indices[p] * 3 + 1];
        screen[s + 2] = table![indices[p] * 3 + 2];
      }
      out.images.push({ delayCs, disposal, x, y, w, h, local: (f & 0x80) !== 0, screen: screen.slice() });
    } else {
      throw new Error(`unknown block 0x${block.toString(16)} at ${at - 1}`);
    }
  }
  return out;
}

function lzwDecode(data: Uint8Array, minCode: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const clear = 1 << minCode;
  const end = clear + 1;
  // Code table as (prefix code, last byte, length); strings are unrolled backwards into `out`.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    length[i] = 1;
    prefix[i] = -1;
  }
  let next = clear + 2;
  let size = minCode + 1;
  let prev = -1;
  let n = 0;
  let bitPos = 0;
  const firstByte = (code: number): number => {
    while (prefix[code] >= 0) code = prefix[code];
    return suffix[code];
  };
  const emit = (code: number): void => {
    const len = length[code];
    for (let i = len - 1, c = code; i >= 0; i--, c = prefix[c]) if (n + i < count) out[n + i] = suffix[c];
    n += len;
  };
  while (bitPos + size <= data.length * 8) {
    let code = 0;
    for (let b = 0; b < size; b++, bitPos++) code |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << b;
    if (code === clear) {
      next = clear + 2;
      size = minCode + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    if (prev < 0) {
      emit(code);
      prev = code;
      continue;
    }
    if (code > next) throw new Error('bad LZW code');
    const k = code < next ? firstByte(code) : firstByte(prev);
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = k;
      length[next] = length[prev] + 1;
      next++;
    }
    emit(code);
    prev = code;
    if (next === 1 << size && size < 12) size++;
  }
  expect(n).toBe(count);
  return out;
}

const W = 120;
const H = 80;
const COLOURS = [
  [255, 255, 255],
  [0, 0, 0],
  [202, 152, 101],
  [129, 132, 203],
];

/** A CartPole-like scene: white sky, a black track, a moving cart and a tilting pole. */
function scene(t: number): Uint8Array {
  const rgba = new Uint8Array(W * H * 4).fill(255);
  const put = (x: number, y: number, c: number[]) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    rgba.set([c[0], c[1], c[2], 255], (y * W + x) * 4);
  };
  for (let x = 0; x < W; x++) put(x, 60, COLOURS[1]);
  const cx = 30 + (t % 50);
  for (let y = 55; y < 65; y++) for (let x = cx - 8; x < cx + 8; x++) put(x, y, COLOURS[1]);
  const angle = 0.4 * Math.sin(t / 5);
  for (let s = 0; s < 35; s++) for (let w = -1; w <= 1; w++) put(Math.round(cx + s * Math.sin(angle) + w), Math.round(55 - s * Math.cos(angle)), COLOURS[2]);
  put(cx, 55, COLOURS[3]);
  return rgba;
}

/** Index of the first differing byte, or -1 (typed-array toEqual is slow on big arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function rgbOf(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0; p < rgba.length / 4; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return rgb;
}

/** Collects bytes and splits the LZW stream into its code size and joined sub-blocks. */
function lzwRoundTrip(indices: Uint8Array, depth: number, encoder = new GifLzwEncoder()): Uint8Array {
  const bytes: number[] = [];
  encoder.encode(indices, depth, {
    writeByte: (v) => bytes.push(v),
    writeBytes: (a, offset = 0, length = a.length) => {
      for (let i = 0; i < length; i++) bytes.push(a[offset + i]);
    },
  });
  const data: number[] = [];
  let at = 1;
  while (bytes[at] !== 0) {
    expect(bytes[at]).toBeLessThanOrEqual(255);
    data.push(...bytes.slice(at + 1, at + 1 + bytes[at]));
    at += bytes[at] + 1;
  }
  expect(at).toBe(bytes.length - 1); // the terminator is the last byte
  return lzwDecode(Uint8Array.from(data), bytes[0], indices.length);
}

describe('gif LZW', () => {
  it('round-trips noise that fills the 4096-code table many times, runs, and tiny palettes', () => {
    const rng = new Rng(11);
    const encoder = new GifLzwEncoder();
    const noise = Uint8Array.from({ length: 300 * 300 }, () => rng.integers(256));
    expect(Buffer.compare(Buffer.from(lzwRoundTrip(noise, 8, encoder)), Buffer.from(noise))).toBe(0);
    const zeros = new Uint8Array(200_000);
    expect(lzwRoundTrip(zeros, 1, encoder).every((v) => v === 0)).toBe(true);
    const binary = Uint8Array.from({ length: 50_000 }, () => (rng.random() < 0.1 ? 1 : 0));
    expect(Buffer.compare(Buffer.from(lzwRoundTrip(binary, 1, encoder)), Buffer.from(binary))).toBe(0);
    const four = Uint8Array.from({ length: 7 }, (_, i) => i % 4);
    expect(Array.from(lzwRoundTrip(four, 2, encoder))).toEqual(Array.from(four));
    expect(Array.from(lzwRoundTrip(new Uint8Array([3]), 2, encoder))).toEqual([3]);
  });
});

describe('gif', () => {
  it('writes a well-formed animated GIF whose every frame shows the input colours exactly', () => {
    const frames = Array.from({ length: 30 }, (_, t) => scene(t));
    const gif = decodeGif(encodeGif(frames, { width: W, height: H, delayMs: 40 }));
    expect([gif.width, gif.height]).toEqual([W, H]);
    expect(gif.hasGlobalTable).toBe(true);
    expect(gif.loopCount).toBe(0);
    expect(gif.trailer).toBe(true);
    expect(gif.images).toHaveLength(30);
    expect(gif.images.every((im) => im.delayCs === 4 && im.disposal === 1)).toBe(true);
    gif.images.forEach((im, t) => expect(firstDifference(im.screen, rgbOf(frames[t]))).toBe(-1));
    // Only the first image is full size: the rest are the changed rectangles, on the global palette.
    expect(gif.images[0]).toMatchObject({ x: 0, y: 0, w: W, h: H });
    expect(gif.images.slice(1).every((im) => im.w * im.h < W * H / 2 && !im.local)).toBe(true);
  });

  it('merges repeated frames into one longer frame and keeps total time', () => {
    const a = scene(0);
    const b = scene(7);
    const gif = decodeGif(encodeGif([a, a, a, b, b], { width: W, height: H, delayMs: 20, repeat: 3 }));
    expect(gif.loopCount).toBe(3);
    expect(gif.images.map((im) => im.delayCs)).toEqual([6, 4]);
    expect(firstDifference(gif.images[1].screen, rgbOf(b))).toBe(-1);
  });

  it('skips frames and downscales on request, and plays once with repeat -1', () => {
    const frames = Array.from({ length: 10 }, (_, t) => scene(t));
    const gif = decodeGif(encodeGif(frames, { width: W, height: H, delayMs: 20, frameStep: 2, scale: 2, repeat: -1 }));
    expect([gif.width, gif.height]).toEqual([W / 2, H / 2]);
    expect(gif.loopCount).toBeNull();
    expect(gif.images).toHaveLength(5);
    expect(gif.images.every((im) => im.delayCs === 4)).toBe(true);
    // The sky stays white and the track black after averaging 2x2 blocks.
    const px = (x: number, y: number) => Array.from(gif.images[4].screen.subarray((y * (W / 2) + x) * 3, (y * (W / 2) + x) * 3 + 3));
    expect(px(2, 2)).toEqual([255, 255, 255]);
    expect(px(19, 29)).toEqual([0, 0, 0]); // the cart body at t = 8
  });

  it('quantises many-colour frames with NeuQuant, keeping colours close', () => {
    const rng = new Rng(3);
    const frames = Array.from({ length: 3 }, () => {
      const rgba = new Uint8Array(64 * 64 * 4);
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) rgba.set([x * 4, y * 4, 128 + rng.integers(8), 255], (y * 64 + x) * 4);
      }
      return rgba;
    });
    const gif = decodeGif(encodeGif(frames, { width: 64, height: 64 }));
    expect(gif.images).toHaveLength(3);
    expect(gif.images[1].local).toBe(true);
    frames.forEach((frame, t) => {
      const rgb = rgbOf(frame);
      let error = 0;
      for (let i = 0; i < rgb.length; i++) error += Math.abs(rgb[i] - gif.images[t].screen[i]);
      expect(error / rgb.length).toBeLessThan(10);
    });
  });

  it("sizes NeuQuant's sample of a small rectangle as whole copies just reaching 503 pixels", () => {
    expect(NEUQUANT_MIN_SAMPLE_BYTES).toBe(3 * 503);
    for (const pixels of [1, 2, 7, 250, 502]) {
      const rgb = Uint8Array.from({ length: 3 * pixels }, (_, i) => (i * 37) % 256);
      const sample = neuQuantSample(rgb);
      expect(sample.length % rgb.length).toBe(0);
      expect(sample.length).toBeGreaterThanOrEqual(NEUQUANT_MIN_SAMPLE_BYTES);
      expect(sample.length - rgb.length).toBeLessThan(NEUQUANT_MIN_SAMPLE_BYTES);
      expect(sample.subarray(sample.length - rgb.length)).toEqual(rgb);
    }
    expect(neuQuantSample(new Uint8Array(3)).length).toBe(1509); // was 1509 * 503 bytes (759 KB)
    const large = new Uint8Array(3 * 503);
    expect(neuQuantSample(large)).toBe(large);
    expect(() => neuQuantSample(new Uint8Array(4))).toThrow(/whole RGB pixels, got 4 bytes/);
    // A 1-pixel frame through NeuQuant still keeps its colour.
    const gif = decodeGif(encodeGif([new Uint8Array([200, 100, 50, 255])], { width: 1, height: 1, quantizer: 'neuquant' }));
    expect(Array.from(gif.images[0].screen)).toEqual([200, 100, 50]);
  });

  it('adds colours a later frame brings with a local palette, still exact', () => {
    const first = scene(0);
    const second = scene(1);
    second.set([10, 200, 30, 255], (5 * W + 5) * 4);
    const gif = decodeGif(encodeGif([first, second], { width: W, height: H }));
    expect(gif.images[1].local).toBe(true);
    expect(firstDifference(gif.images[1].screen, rgbOf(second))).toBe(-1);
  });

  it('streams from async iterables and rejects bad frames', async () => {
    async function* frames() {
      for (let t = 0; t < 3; t++) yield scene(t);
    }
    const bytes = await encodeGifAsync(frames(), { width: W, height: H });
    expect(decodeGif(bytes).images).toHaveLength(3);
    const writer = new GifWriter({ width: W, height: H });
    expect(() => writer.addFrame(new Uint8Array(10))).toThrow(/frame 0 has 10 bytes, expected 120x80x4/);
    expect(() => writer.finish()).toThrow(/no frames/);
    expect(() => new GifWriter({ width: W, height: H, scale: 1.5 })).toThrow(/scale must be an integer/);
  });
});
