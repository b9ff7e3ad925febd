/**
 * Zip bombs and hostile archives, made from real weights files and checkpoints
 * (test/support/zip-bombs.ts): an entry whose megabyte of deflate stream inflates to a gigabyte
 * (declared as such, declared with a header that agrees, or declared small while the stream runs
 * on), entries that share one stream, names that are not plain relative paths, too many entries.
 * Each must be refused with a message naming the file and what is wrong, in under a second and
 * with the reading process's peak memory raised by less than 100 MB: read in a child
 * (test/support/read-files.ts) whose address space is limited to what it needs with no file plus
 * 1 GiB, so a reader that believed a bomb fails at once instead of filling the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { crc32 } from '../src/io/crc32.js';
import { readNpz } from '../src/io/npz.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { encodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { encodeWeightsNpz, readWeightsFile } from '../src/rl/weights-file.js';
import { childEnv, root } from './support/cli-process.js';
import { CARTPOLE_8_SHAPES } from './support/read-files.js';
import { MiB, buildZip, crc32WithZeros, deflatePrefixAndZeros, inflatingEntry, overlappingEntries, partsOf } from './support/zip-bombs.js';

const SCRIPT = join(root, 'test', 'support', 'read-files.ts');
const MAX_MS = 1000;
const MAX_PEAK_GROWTH_MIB = 100;

let dir: string;
let weights: Uint8Array;
let checkpoint: Uint8Array;

interface ReadResult {
  file: string;
  error: string | null;
  ms: number;
  peakGrowthMiB: number;
}

function runReader(reader: string, files: string[], addressSpaceKiB: number | null): { vmPeakKiB: number; results: ReadResult[] } {
  const node = `exec "${process.execPath}" --expose-gc --import tsx "${SCRIPT}" ${reader} ${files.map((f) => `"${f}"`).join(' ')}`;
  const command = addressSpaceKiB === null ? node : `ulimit -v ${addressSpaceKiB} && ${node}`;
  const r = spawnSync('bash', ['-c', command], { cwd: root, encoding: 'utf8', env: childEnv(), timeout: 120_000, killSignal: 'SIGKILL' });
  expect(r.signal, 'the reader hung').toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { vmPeakKiB: number; results: ReadResult[] };
}

/** Writes `files` into the test's folder and reads each with `reader` in a limited child; returns the results by file name. */
function readAll(reader: string, files: Record<string, Uint8Array>): Map<string, ReadResult> {
  const paths = Object.entries(files).map(([name, bytes]) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  });
  const baseline = runReader(reader, [], null).vmPeakKiB;
  const { results } = runReader(reader, paths, baseline + 1024 * 1024);
  console.log(`${reader}: ${results.map((r) => `${r.file} ${r.ms} ms, +${r.peakGrowthMiB} MiB`).join('; ')}`);
  return new Map(results.map((r) => [r.file, r]));
}

/** Each named file refused with its message, in under MAX_MS and MAX_PEAK_GROWTH_MIB. */
function expectRefused(results: Map<string, ReadResult>, expected: Record<string, RegExp>): void {
  for (const [file, message] of Object.entries(expected)) {
    const r = results.get(file);
    expect(r?.error, file).toMatch(new RegExp(`^(InvalidArgumentError|ShapeError): ${file.replace(/\./g, '\\.')}: ${message.source}`));
    expect(r?.ms, `${file}: ms`).toBeLessThan(MAX_MS);
    expect(r?.peakGrowthMiB, `${file}: peak memory growth, MiB`).toBeLessThan(MAX_PEAK_GROWTH_MIB);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zip-bombs-'));
  const arrays = CARTPOLE_8_SHAPES.map(([rows, cols], k) => Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i + 10 * k)));
  weights = encodeWeightsNpz(arrays, CARTPOLE_8_SHAPES, { obsDim: 4, nActions: 2, hidden: [8], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network', env: 'CartPole-v1' });
  const config: DqnConfig = { ...preset('default'), hidden: [8], bufferSize: 300, batchSize: 8, learningStarts: 20, steps: 120, evalFreq: 0 };
  const trainer = new DqnTrainer(new CpuBackend(), config, 3);
  await trainer.run(70);
  checkpoint = encodeTrainerCheckpoint(await trainer.getState(), { preset: 'default' });
  trainer.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bombs (test/support/zip-bombs.ts)', () => {
  it('inflate to what they say: a header and N zeros, with the CRC-32 computed for them', () => {
    const prefix = new TextEncoder().encode('a .npy header, say');
    const zeros = 16 * MiB + 5;
    const stream = deflatePrefixAndZeros(prefix, zeros);
    expect(stream.length).toBeLessThan(zeros / 1000);
    const inflated = inflateRawSync(stream);
    expect(inflated.length).toBe(prefix.length + zeros);
    expect(inflated.subarray(0, prefix.length)).toEqual(Buffer.from(prefix));
    expect(crc32(inflated)).toBe(crc32WithZeros(crc32(prefix), zeros));
  });
});

describe('weights files (as --load and the page read them)', () => {
  it('refuses a gigabyte entry in any guise, and entries that share one stream, in under a second and 100 MB', () => {
    const arrays = ['arr_0.npy', 'arr_1.npy', 'arr_2.npy', 'arr_3.npy'];
    const results = readAll('weights', {
      'good.npz': weights,
      'declared.npz': inflatingEntry(weights, 'arr_0.npy', 'declared'),
      'consistent.npz': inflatingEntry(weights, 'arr_0.npy', 'consistent'),
      'overlong.npz': inflatingEntry(weights, 'arr_0.npy', 'overlong'),
      'record.npz': inflatingEntry(weights, 'network.npy', 'consistent'),
      'overlapping.npz': overlappingEntries(weights, arrays, 256),
    });
    expect(results.get('good.npz')?.error).toBeNull();
    expectRefused(results, {
      'declared.npz': /entry 'arr_0\.npy': holds 1073742080 bytes of data, its header's shape \(4, 8\) of <f8 needs 256$/,
      'consistent.npz': /arr_0 has shape \(134217728,\), the network needs \(4, 8\)/,
      'overlong.npz': /corrupt or truncated zip: entry 'arr_0\.npy' inflates to more than the 384 bytes the directory declares$/,
      'record.npz': /its 'network' entry holds 1073741824 bytes, more than the 65536 a network record may$/,
      'overlapping.npz': /corrupt or truncated zip: entries 'arr_\d\.npy' and 'arr_\d\.npy' share bytes \(from offset \d+\): each entry must have its own$/,
    });
  });

  it('refuses entry names that are not plain relative paths or not a weights file\'s, listing the entries found', () => {
    const renamed = (name: string) => buildZip(partsOf(weights).map((part, i) => (i === 0 ? { ...part, name } : part)));
    const unsafe = ['../evil.npy', '/etc/evil.npy', 'a/../../evil.npy', 'a\\evil.npy', 'evil\u0000.npy', 'C:evil.npy', 'a//evil.npy', './evil.npy'];
    for (const name of unsafe) {
      const quoted = JSON.stringify(name).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(() => readWeightsFile(renamed(name), 'w.npz'), name).toThrow(
        new RegExp(`^w\\.npz: entry '${quoted}' is not a plain relative name; the archive holds '${quoted}', 'arr_1\\.npy', 'arr_2\\.npy', 'arr_3\\.npy', 'network\\.npy'$`),
      );
    }
    expect(() => readWeightsFile(renamed('evil.npy'), 'w.npz')).toThrow(
      /^w\.npz: not a weights file: it holds 'evil\.npy', 'arr_1\.npy', 'arr_2\.npy', 'arr_3\.npy', 'network\.npy'; a weights file holds arr_0\.npy, arr_1\.npy, \.\.\. \(each layer's W and b\) and network\.npy$/,
    );
    expect(() => readWeightsFile(checkpoint, 'checkpoint.zip')).toThrow(/^checkpoint\.zip: this is a checkpoint: use --resume/);
    const many = buildZip(Array.from({ length: 1100 }, (_, i) => ({ name: `arr_${i}.npy`, method: 0 as const, data: new Uint8Array(0), crc: 0, size: 0 })));
    expect(() => readWeightsFile(many, 'many.npz')).toThrow(/^many\.npz: the archive lists 1100 entries, more than the 1036 such a file holds$/);
  });
});

describe('checkpoints (as --resume reads them)', () => {
  it('refuses a gigabyte array or metadata entry in any guise, and entries that share one stream, in under a second and 100 MB', () => {
    const observations = 'arrays/replay/observations.npy';
    const results = readAll('checkpoint', {
      'good.zip': checkpoint,
      'declared.zip': inflatingEntry(checkpoint, observations, 'declared'),
      'consistent.zip': inflatingEntry(checkpoint, observations, 'consistent'),
      'overlong.zip': inflatingEntry(checkpoint, observations, 'overlong'),
      'meta.zip': inflatingEntry(checkpoint, 'checkpoint.json', 'declared'),
      'meta-overlong.zip': inflatingEntry(checkpoint, 'checkpoint.json', 'overlong'),
      'overlapping.zip': overlappingEntries(checkpoint, ['arrays/online/0.npy', 'arrays/online/1.npy', 'arrays/online/2.npy', 'arrays/online/3.npy'], 256),
    });
    expect(results.get('good.zip')?.error).toBeNull();
    expectRefused(results, {
      'declared.zip': /entry 'arrays\/replay\/observations\.npy': holds 1073746624 bytes of data, its header's shape \(1200,\) of <f4 needs 4800$/,
      'consistent.zip': /checkpoint array 'replay\/observations' has shape \(268435456,\) \(268435456 values\); the config needs 1200$/,
      'overlong.zip': /corrupt or truncated zip: entry 'arrays\/replay\/observations\.npy' inflates to more than the 4928 bytes the directory declares$/,
      'meta.zip': /checkpoint\.json declares \d+ bytes, more than the 16777216 a checkpoint's metadata may hold$/,
      'meta-overlong.zip': /corrupt or truncated zip: entry 'checkpoint\.json' inflates to more than the \d+ bytes the directory declares$/,
      'overlapping.zip': /corrupt or truncated zip: entries 'arrays\/online\/\d\.npy' and 'arrays\/online\/\d\.npy' share bytes/,
    });
  });
});

describe('any .npz (readNpz, which knows no network)', () => {
  it('refuses an entry larger than its header says, a stream that runs on, and shared streams, in under a second and 100 MB', () => {
    const results = readAll('npz', {
      'good.npz': weights,
      'declared.npz': inflatingEntry(weights, 'arr_2.npy', 'declared'),
      'overlong.npz': inflatingEntry(weights, 'arr_2.npy', 'overlong'),
      'overlapping.npz': overlappingEntries(weights, ['arr_0.npy', 'arr_1.npy'], 1024),
    });
    expect(results.get('good.npz')?.error).toBeNull();
    expectRefused(results, {
      'declared.npz': /entry 'arr_2\.npy': holds 1073741952 bytes of data, its header's shape \(8, 2\) of <f8 needs 128$/,
      'overlong.npz': /corrupt or truncated zip: entry 'arr_2\.npy' inflates to more than the 256 bytes the directory declares$/,
      'overlapping.npz': /corrupt or truncated zip: entries 'arr_\d\.npy' and 'arr_\d\.npy' share bytes/,
    });
    expect(readNpz(weights, 'w.npz').get('arr_0')?.shape).toEqual([4, 8]);
  });
});
