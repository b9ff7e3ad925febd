import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zlibSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32 } from '../src/io/crc32.js';
import { decodePng, encodePng } from '../src/io/png.js';
import { Rng } from '../src/random/rng.js';
import { concat } from './support/bytes.js';

const hasPython = spawnSync('python3', ['-c', 'import zlib'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'png-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomImage(width: number, height: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const rgba = new Uint8Array(width * height * 4);
  // Mix smooth gradients (which the predictive filters like) with noise and flat areas.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = (x * 3) & 0xff;
      rgba[i + 1] = y < height / 2 ? (y * 5) & 0xff : rng.integers(256);
      rgba[i + 2] = x > width / 2 ? 200 : rng.integers(256);
      rgba[i + 3] = (x + y) % 7 === 0 ? 0 : 255;
    }
  }
  return rgba;
}

/** A PNG made without our encoder: RGB, filter 0 on every row. */
function plainRgbPng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const raw = new Uint8Array((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out, 0, 4, 8 + data.length));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return concat([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array())]);
}

describe('png', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('round-trips RGBA pixels exactly, odd sizes included', () => {
    for (const [w, h] of [[1, 1], [7, 3], [64, 48], [601, 13]]) {
      const rgba = randomImage(w, h, w * 1000 + h);
      const png = encodePng(rgba, w, h);
      const back = decodePng(png);
      expect([back.width, back.height]).toEqual([w, h]);
      expect(back.rgba).toEqual(rgba);
    }
  });

  it('accepts a Uint8ClampedArray (canvas ImageData) and compresses flat images well', () => {
    const flat = new Uint8ClampedArray(600 * 400 * 4).fill(255);
    const png = encodePng(flat, 600, 400);
    expect(png.length).toBeLessThan(2000);
    expect(decodePng(png).rgba.every((v) => v === 255)).toBe(true);
  });

  it('decodes an RGB PNG made without our encoder', () => {
    const rgb = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) & 0xff);
    const back = decodePng(plainRgbPng(5, 4, rgb));
    expect(back.rgba[0]).toBe(rgb[0]);
    expect(back.rgba[4 * 7 + 2]).toBe(rgb[3 * 7 + 2]);
    expect(back.rgba[3]).toBe(255);
  });

  it('rejects bad input clearly', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/expected 2x2x4 = 16 bytes/);
    expect(() => encodePng(new Uint8Array(0), 0, 0)).toThrow(/positive integers/);
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/bad signature/);
    const png = encodePng(randomImage(4, 4, 1), 4, 4);
    const corrupt = png.slice();
    corrupt[40] ^= 0xff;
    expect(() => decodePng(corrupt)).toThrow(/CRC mismatch/);
    expect(() => decodePng(png.subarray(0, png.length - 12))).toThrow(/no IEND/);
  });

  it.skipIf(!hasPython)('is a valid PNG to an independent reader (python zlib + struct)', () => {
    const w = 33;
    const h = 21;
    const rgba = randomImage(w, h, 5);
    const path = join(dir, 'check.png');
    writeFileSync(path, encodePng(rgba, w, h));
    // Python checks every CRC, inflates IDAT, undoes the filters and prints a pixel digest.
    const script = `
import struct, sys, zlib, hashlib
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
i, idat, ihdr = 8, b'', None
while i < len(b):
    n, = struct.unpack('>I', b[i:i+4]); t = b[i+4:i+8]; d = b[i+8:i+8+n]
    assert struct.unpack('>I', b[i+8+n:i+12+n])[0] == zlib.crc32(t + d) & 0xffffffff, t
    if t == b'IHDR': ihdr = struct.unpack('>IIBBBBB', d)
    if t == b'IDAT': idat += d
    i += 12 + n
w, h, depth, ctype = ihdr[:4]
assert (depth, ctype) == (8, 6)
raw = zlib.decompress(idat); s = w * 4; out = bytearray(); prev = bytearray(s)
for y in range(h):
    f = raw[y*(s+1)]; row = bytearray(raw[y*(s+1)+1:(y+1)*(s+1)])
    for x in range(s):
        a = row[x-4] if x >= 4 else 0; up = prev[x]; c = prev[x-4] if x >= 4 else 0
        if f == 1: row[x] = (row[x] + a) & 255
        elif f == 2: row[x] = (row[x] + up) & 255
        elif f == 3: row[x] = (row[x] + (a + up) // 2) & 255
        elif f == 4:
            p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
            row[x] = (row[x] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
    out += row; prev = row
print(w, h, hashlib.sha256(bytes(out)).hexdigest())
`;
    const result = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const expected = createHash('sha256').update(rgba).digest('hex');
    expect(result.stdout.trim()).toBe(`${w} ${h} ${expected}`);
  });
});
