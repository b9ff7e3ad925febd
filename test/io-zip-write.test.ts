/**
 * The zip writer (src/io/zip-write.ts): archives that fit the classic format are byte for byte
 * what fflate's zipSync wrote before it (so .npz files and checkpoints did not change), and zip64
 * is laid out as the APPNOTE says. Zip64 needs 65,535 entries or 4 GiB; the layout tests lower the
 * writer's limits instead, so that three small entries take every zip64 path, and then check the
 * bytes field by field and read them back here and with Python's zipfile and NumPy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { ndarray, writeNpy } from '../src/io/npy.js';
import { writeNpz } from '../src/io/npz.js';
import { ZipArchive } from '../src/io/zip-read.js';
import { writeZip, type ZipWriteEntry } from '../src/io/zip-write.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'zip-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Offsets of a 4-byte little-endian signature in `bytes`. */
function signatures(bytes: Uint8Array, signature: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) if (view.getUint32(i, true) === signature) found.push(i);
  return found;
}
const EOCD64 = 0x06064b50;

/** Bytes that deflate to something shorter, but not trivially. */
function content(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, j) => ((j * j + seed) % 251 > 120 ? 0 : (j + seed) & 255));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

describe('archives that fit the classic format', () => {
  it('are byte for byte what zipSync wrote: stored and deflated, UTF-8 names, empty entries and archives', () => {
    for (const level of [0, 1, 6, 9] as const) {
      for (const count of [0, 1, 3, 40]) {
        const entries: ZipWriteEntry[] = Array.from({ length: count }, (_, i) => ({
          name: i % 3 === 1 ? `dir/é${i}ü.npy` : `arr_${i}.npy`,
          data: content((i * 977) % 5000, i),
        }));
        const before = zipSync(Object.fromEntries(entries.map((e) => [e.name, e.data])), { level, mtime: new Date(1980, 0, 1) });
        const now = writeZip(entries, { level });
        expect(sameBytes(now, before), `level ${level}, ${count} entries`).toBe(true);
        expect(signatures(now, EOCD64)).toEqual([]);
      }
    }
  });

  it('writeNpz and encodeCheckpoint write the same bytes as before (zipSync at 1980-01-01)', () => {
    const arrays = [ndarray('<f4', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6])), ndarray('<f8', [4], new Float64Array([0.5, -1, 2, 3]))];
    const npy = Object.fromEntries(arrays.map((array, i) => [`arr_${i}.npy`, writeNpy(array)]));
    for (const compress of [false, true]) {
      expect(sameBytes(writeNpz(arrays, { compress }), zipSync(npy, { level: compress ? 6 : 0, mtime: new Date(1980, 0, 1) }))).toBe(true);
    }
    const meta = { steps: 3 };
    const header = { format: 'webgpu-rl-engine-checkpoint', version: 1, meta, arrays: ['w', 'b'] };
    const before = zipSync(
      {
        'arrays/w.npy': writeNpy(arrays[0]),
        'arrays/b.npy': writeNpy(arrays[1]),
        'checkpoint.json': new TextEncoder().encode(JSON.stringify(header, null, 1)),
      },
      { level: 6, mtime: new Date(1980, 0, 1) },
    );
    expect(sameBytes(encodeCheckpoint({ arrays: { w: arrays[0], b: arrays[1] }, meta }), before)).toBe(true);
  });
});

/**
 * Limits lowered to 3 entries and 100 bytes: entry 'small' (40 bytes at offset 0) fits, 'big'
 * (150 bytes) has wide sizes, and 'late' (10 bytes) starts past offset 100.
 */
const LIMITS = { entries: 3, bytes: 100 };
const ENTRIES: ZipWriteEntry[] = [
  { name: 'small.npy', data: content(40, 1) },
  { name: 'big.npy', data: content(150, 2) },
  { name: 'late.npy', data: content(10, 3) },
];

/** The central directory's entries: [version made by, version needed, csize, size, offset, extra field bytes]. */
function centralEntries(bytes: Uint8Array, cdOffset: number, count: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const extra = bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    out.push({
      madeBy: view.getUint16(at + 4, true),
      needed: view.getUint16(at + 6, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      offset: view.getUint32(at + 42, true),
      extra: extraFields(extra),
    });
    at += 46 + nameLength + extraLength;
  }
  return { entries: out, end: at };
}

/** A zip64 extra field as [header id, ...64-bit values]; [] when there is none. */
function extraFields(extra: Uint8Array): number[] {
  if (extra.length === 0) return [];
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  expect(view.getUint16(2, true)).toBe(extra.length - 4);
  const values = [view.getUint16(0, true)];
  for (let at = 4; at < extra.length; at += 8) values.push(Number(view.getBigUint64(at, true)));
  return values;
}

describe('zip64, with the limits lowered so that small archives reach it', () => {
  for (const level of [0, 6] as const) {
    it(`lays out the extra fields, the zip64 end record and its locator as the APPNOTE says (level ${level})`, () => {
      const bytes = writeZip(ENTRIES, { level }, LIMITS);
      const view = new DataView(bytes.buffer);
      const eocd = bytes.length - 22;
      expect(view.getUint32(eocd, true)).toBe(0x06054b50);
      expect([view.getUint16(eocd + 8, true), view.getUint16(eocd + 10, true)]).toEqual([0xffff, 0xffff]); // 3 entries >= 3
      const locator = eocd - 20;
      expect(view.getUint32(locator, true)).toBe(0x07064b50);
      expect([view.getUint32(locator + 4, true), view.getUint32(locator + 16, true)]).toEqual([0, 1]); // disk 0 of 1
      const record = Number(view.getBigUint64(locator + 8, true));
      expect(record).toBe(locator - 56);
      expect(signatures(bytes, EOCD64)).toEqual([record]);
      expect(Number(view.getBigUint64(record + 4, true))).toBe(44);
      expect([view.getUint16(record + 12, true), view.getUint16(record + 14, true)]).toEqual([45, 45]);
      expect([view.getUint32(record + 16, true), view.getUint32(record + 20, true)]).toEqual([0, 0]);
      const [onDisk, total, cdSize, cdOffset] = [24, 32, 40, 48].map((at) => Number(view.getBigUint64(record + at, true)));
      expect([onDisk, total]).toEqual([3, 3]);
      expect(cdOffset + cdSize).toBe(record);
      // The end record's 32-bit fields: both past 100 bytes here, so both say "see the zip64 record".
      expect([view.getUint32(eocd + 12, true), view.getUint32(eocd + 16, true)]).toEqual([0xffffffff, 0xffffffff]);

      const central = centralEntries(bytes, cdOffset, 3);
      expect(central.end).toBe(record);
      const [small, big, late] = central.entries;
      const bigStored = level === 0 ? 150 : big.extra[2];
      expect(small).toEqual({ madeBy: 20, needed: 20, compressedSize: small.compressedSize, size: 40, offset: 0, extra: [] });
      expect(big).toEqual({ madeBy: 45, needed: 45, compressedSize: 0xffffffff, size: 0xffffffff, offset: big.offset, extra: [1, 150, bigStored] });
      expect(late.offset).toBe(0xffffffff);
      expect(late).toEqual({ madeBy: 45, needed: 45, compressedSize: late.compressedSize, size: 10, offset: 0xffffffff, extra: [1, late.extra[1]] });
      expect(late.extra[1]).toBeGreaterThanOrEqual(100);

      // Local headers: only wide sizes need the extra field there, with both sizes.
      const bigLocal = big.offset;
      expect(view.getUint32(bigLocal, true)).toBe(0x04034b50);
      expect(view.getUint16(bigLocal + 4, true)).toBe(45);
      expect([view.getUint32(bigLocal + 18, true), view.getUint32(bigLocal + 22, true)]).toEqual([0xffffffff, 0xffffffff]);
      const nameLength = view.getUint16(bigLocal + 26, true);
      const extraLength = view.getUint16(bigLocal + 28, true);
      expect(extraFields(bytes.subarray(bigLocal + 30 + nameLength, bigLocal + 30 + nameLength + extraLength))).toEqual([1, 150, bigStored]);
      const lateLocal = late.extra[1];
      expect(view.getUint32(lateLocal, true)).toBe(0x04034b50);
      expect(view.getUint16(lateLocal + 28, true)).toBe(0);
      expect(view.getUint32(lateLocal + 22, true)).toBe(10);

      const archive = ZipArchive.open(bytes, 'z.zip');
      expect(archive.entries.map((e) => e.name)).toEqual(ENTRIES.map((e) => e.name));
      for (const entry of ENTRIES) expect(sameBytes(archive.read(entry.name), entry.data)).toBe(true);
    });
  }

  it('takes zip64 exactly from the limits on: one entry or byte below them stays classic', () => {
    const limits = { entries: 3, bytes: 1000 };
    const two = [{ name: 'a', data: content(10, 1) }, { name: 'b', data: new Uint8Array(0) }];
    expect(signatures(writeZip(two, {}, limits), EOCD64)).toEqual([]);
    const three = writeZip([...two, { name: 'c', data: content(5, 2) }], {}, limits);
    expect(signatures(three, EOCD64)).toHaveLength(1);
    expect(new DataView(three.buffer).getUint16(three.length - 22 + 10, true)).toBe(0xffff);
    // 999 bytes fit a 1000-byte limit, 1000 do not (as 0xFFFFFFFF itself is the marker).
    const size = (bytes: Uint8Array) => new DataView(bytes.buffer).getUint32(22, true);
    expect(size(writeZip([{ name: 'a', data: content(999, 1) }], {}, limits))).toBe(999);
    expect(size(writeZip([{ name: 'a', data: content(1000, 1) }], {}, limits))).toBe(0xffffffff);
  });

  it.skipIf(!hasNumpy)("reads back with Python's zipfile (testzip) and np.load, stored and deflated", () => {
    const npyEntries: ZipWriteEntry[] = ENTRIES.map((entry, i) => ({ name: entry.name, data: writeNpy(ndarray('<f8', [entry.data.length], Float64Array.from(entry.data, (v) => v + i))) }));
    const paths = ([0, 6] as const).map((level) => {
      const path = join(dir, `lowered-${level}.npz`);
      writeFileSync(path, writeZip(npyEntries, { level }, LIMITS));
      return path;
    });
    const script = `
import json, sys, zipfile, numpy as np
out = []
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
    with np.load(path) as f:
        out.append([names, {k: float(f[k].sum()) for k in f.files}])
print(json.dumps(out))`;
    const result = JSON.parse(execFileSync('python3', ['-c', script, ...paths], { encoding: 'utf8' })) as [string[], Record<string, number>][];
    const sums = Object.fromEntries(ENTRIES.map((entry, i) => [entry.name.slice(0, -4), entry.data.reduce((s, v) => s + v + i, 0)]));
    for (const [names, read] of result) {
      expect(names).toEqual(ENTRIES.map((e) => e.name));
      expect(read).toEqual(sums);
    }
  });
});
