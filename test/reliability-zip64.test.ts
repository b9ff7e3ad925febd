/**
 * Files with more entries than a classic zip counts (65,535): a checkpoint or weights file of a
 * network with 70,000 parameter arrays is written as zip64 and reads back whole, here and in NumPy.
 * Before, fflate's zipSync wrote the count modulo 65,536 into the end record: our reader saw 4,464
 * entries (a checkpoint was "not a checkpoint", a weights file silently lost arrays). The zip64
 * layout itself is checked field by field in io-zip-write.test.ts. Test titles start with their id
 * in docs/reliability.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { ndarray } from '../src/io/npy.js';
import { readNpz, writeNpz } from '../src/io/npz.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'zip64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 70_000;
/** The zip64 end record's signature, PK\x06\x06. */
const hasZip64EndRecord = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(Buffer.from([0x50, 0x4b, 6, 6]));

/** A checkpoint and a weights file of COUNT arrays, `p<i>` / `arr_<i>` = [i, -i]. */
function writeBoth(): { checkpoint: Uint8Array; weights: Uint8Array } {
  const arrays: Record<string, Float32Array> = {};
  for (let i = 0; i < COUNT; i++) arrays[`p${i}`] = new Float32Array([i, -i]);
  return {
    checkpoint: encodeCheckpoint({ arrays, meta: { steps: 7 } }),
    weights: writeNpz(Object.values(arrays).map((data) => ndarray('<f4', [2], data))),
  };
}

describe('more than 65,535 arrays', () => {
  let checkpoint: Uint8Array;
  let weights: Uint8Array;
  beforeAll(() => ({ checkpoint, weights } = writeBoth()));
  const last = [COUNT - 1, -(COUNT - 1)];

  it('[checkpoint-zip64] a checkpoint and a weights file of 70,000 arrays are zip64 and read back whole', () => {
    for (const bytes of [checkpoint, weights]) expect(hasZip64EndRecord(bytes)).toBe(true);
    expect(hasZip64EndRecord(writeNpz([ndarray('<f4', [2], new Float32Array([1, 2]))]))).toBe(false);
    const decoded = decodeCheckpoint<{ steps: number }>(checkpoint, 'c.zip');
    expect(decoded.meta).toEqual({ steps: 7 });
    expect(decoded.arrays.size).toBe(COUNT);
    expect([...decoded.arrays.get(`p${COUNT - 1}`)!.data]).toEqual(last);
    const read = readNpz(weights, 'w.npz');
    expect(read.size).toBe(COUNT);
    expect([...read.get(`arr_${COUNT - 1}`)!.data]).toEqual(last);
  });

  it.skipIf(!hasNumpy)("[checkpoint-zip64] Python's zipfile and np.load read them whole", () => {
    writeFileSync(join(dir, 'c.zip'), checkpoint);
    writeFileSync(join(dir, 'w.npz'), weights);
    const script = `
import json, sys, zipfile, numpy as np
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    meta = json.loads(z.read('checkpoint.json'))['meta']
with np.load(sys.argv[2]) as w:
    files = w.files
    last = w[files[-1]].tolist()
print(json.dumps([len(names), names[-1], meta, len(files), files[-1], last]))`;
    const result = JSON.parse(execFileSync('python3', ['-c', script, join(dir, 'c.zip'), join(dir, 'w.npz')], { encoding: 'utf8' })) as unknown;
    expect(result).toEqual([COUNT + 1, 'checkpoint.json', { steps: 7 }, COUNT, `arr_${COUNT - 1}`, last]);
  });
});

describe('reading the entry count', () => {
  /** A classic archive (fflate's zipSync: no zip64) of `count` one-array .npy entries. */
  const classic = (count: number) => {
    const files: Record<string, Uint8Array> = {};
    const npy = writeNpz([ndarray('<f4', [1], new Float32Array([1]))]);
    const entry = readNpzEntryBytes(npy);
    for (let i = 0; i < count; i++) files[`arr_${i}.npy`] = entry;
    return zipSync(files, { level: 0 });
  };

  it('[zip-count-65535] a classic archive of exactly 65,535 entries (as Python writes one) reads whole: 0xFFFF is a count there, not the zip64 marker', () => {
    expect(readNpz(classic(0xffff), 'w.npz').size).toBe(0xffff);
  });

  it('[zip-count-wrapped] an archive whose end record counts fewer entries than its directory holds (a writer that counted modulo 65,536) is refused, not read short', () => {
    expect(() => readNpz(classic(70_000), 'w.npz')).toThrow(/^w\.npz: corrupt or truncated zip: the central directory holds more than the 4464 entries its end record counts/);
  });
});

/** The bytes of the one .npy entry of a stored one-entry .npz. */
function readNpzEntryBytes(npz: Uint8Array): Uint8Array {
  const files = unzipSync(npz);
  return files[Object.keys(files)[0]];
}
