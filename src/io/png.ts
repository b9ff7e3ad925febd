/**
 * PNG encoding (8-bit RGBA, adaptive per-row filters, zlib via fflate) and a small decoder for
 * 8-bit non-interlaced RGBA/RGB/grey images, enough to check our own output in tests.
 * Browser-safe: Uint8Array only.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { InvalidArgumentError } from '../errors.js';
import { crc32 } from './crc32.js';

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A decoded image: `rgba` holds width * height * 4 bytes, rows top to bottom. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Options for {@link encodePng}. */
export interface PngOptions {
  /** zlib level 0-9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * Encodes RGBA pixels (width * height * 4 bytes, row-major, top row first) as a PNG file.
 * Each row gets the filter (None, Sub, Up, Average or Paeth) with the smallest sum of absolute
 * residuals, the usual libpng heuristic.
 */
export function encodePng(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  options: PngOptions = {},
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidArgumentError(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new InvalidArgumentError(
      `encodePng: expected ${width}x${height}x4 = ${width * height * 4} bytes of RGBA, got ${rgba.length}`,
    );
  }
  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    let bestScore = Infinity;
    let bestFilter = 0;
    for (let filter = 0; filter <= 4; filter++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const x = rgba[row + i];
        const a = i >= 4 ? rgba[row + i - 4] : 0;
        const b = prev >= 0 ? rgba[prev + i] : 0;
        const c = i >= 4 && prev >= 0 ? rgba[prev + i - 4] : 0;
        let predictor: number;
        switch (filter) {
          case 0: predictor = 0; break;
          case 1: predictor = a; break;
          case 2: predictor = b; break;
          case 3: predictor = (a + b) >> 1; break;
          default: predictor = paeth(a, b, c);
        }
        const v = (x - predictor) & 0xff;
        candidate[i] = v;
        score += v < 128 ? v : 256 - v;
        if (score >= bestScore) break;
      }
      if (score < bestScore) {
        bestScore = score;
        bestFilter = filter;
        best.set(candidate);
      }
    }
    raw[y * (stride + 1)] = bestFilter;
    raw.set(best, y * (stride + 1) + 1);
  }

  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const idat = zlibSync(raw, { level: options.level ?? 6 });
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(SIGNATURE, 0);
  let at = SIGNATURE.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 0, 4, 8 + data.length));
  return out;
}

/**
 * Decodes a PNG with bit depth 8, no interlacing and colour type RGBA (6), RGB (2), grey (0) or
 * grey+alpha (4) into RGBA. Checks the signature and every chunk's CRC. Throws on anything else.
 */
export function decodePng(bytes: Uint8Array): RgbaImage {
  for (let i = 0; i < SIGNATURE.length; i++) {
    if (bytes[i] !== SIGNATURE[i]) throw new InvalidArgumentError('decodePng: not a PNG file (bad signature)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = SIGNATURE.length;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (at + 12 + length > bytes.length) throw new InvalidArgumentError(`decodePng: chunk ${type} is truncated`);
    const stored = view.getUint32(at + 8 + length);
    if (crc32(bytes, 0, at + 4, at + 8 + length) !== stored) {
      throw new InvalidArgumentError(`decodePng: CRC mismatch in chunk ${type}`);
    }
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      const h = new DataView(data.buffer, data.byteOffset, data.byteLength);
      width = h.getUint32(0);
      height = h.getUint32(4);
      const depth = data[8];
      colourType = data[9];
      if (depth !== 8) throw new InvalidArgumentError(`decodePng: bit depth ${depth} unsupported (only 8)`);
      if (data[12] !== 0) throw new InvalidArgumentError('decodePng: interlaced PNGs are unsupported');
      if (![0, 2, 4, 6].includes(colourType)) {
        throw new InvalidArgumentError(`decodePng: colour type ${colourType} unsupported`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    at += 12 + length;
  }
  if (colourType < 0) throw new InvalidArgumentError('decodePng: no IHDR chunk');
  if (!sawEnd) throw new InvalidArgumentError('decodePng: no IEND chunk (truncated file?)');
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let off = 0;
  for (const d of idat) {
    joined.set(d, off);
    off += d.length;
  }
  const raw = unzlibSync(joined);
  const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : colourType === 4 ? 2 : 1;
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new InvalidArgumentError('decodePng: image data is truncated');
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[row + i - channels] : 0;
      const b = y > 0 ? pixels[row - stride + i] : 0;
      const c = i >= channels && y > 0 ? pixels[row - stride + i - channels] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: predictor = paeth(a, b, c); break;
        default: throw new InvalidArgumentError(`decodePng: bad filter type ${filter} on row ${y}`);
      }
      pixels[row + i] = (raw[src + i] + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    if (channels >= 3) {
      rgba[p * 4] = pixels[s];
      rgba[p * 4 + 1] = pixels[s + 1];
      rgba[p * 4 + 2] = pixels[s + 2];
    } else {
      rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = pixels[s];
    }
    rgba[p * 4 + 3] = channels === 4 ? pixels[s + 3] : channels === 2 ? pixels[s + 1] : 255;
  }
  return { width, height, rgba };
}
