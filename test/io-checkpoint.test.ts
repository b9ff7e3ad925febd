import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { writeNpz } from '../src/io/npz.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample() {
  return {
    arrays: {
      'online/W1': { dtype: '<f4' as const, shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1) },
      'adam/m/W1': new Float32Array([0.5, NaN, -0]),
      'replay/actions': new Int32Array([0, 1, 1, 0]),
      'replay/terminated': { dtype: '|b1' as const, shape: [4], data: new Uint8Array([0, 0, 1, 0]) },
      'rng/state': new Uint32Array([0xdeadbeef, 1, 2, 3]),
      steps: new BigInt64Array([123456789012n]),
    },
    meta: { episode: 17, epsilon: 0.25, preset: 'default', history: [1, 2.5], nested: { ok: true, none: null } },
  };
}

describe('checkpoint', () => {
  it('round-trips arrays of every kind and the metadata exactly', () => {
    const input = sample();
    const back = decodeCheckpoint(encodeCheckpoint(input));
    expect(back.meta).toEqual(input.meta);
    expect([...back.arrays.keys()]).toEqual(Object.keys(input.arrays));
    expect(back.arrays.get('online/W1')).toEqual(input.arrays['online/W1']);
    expect(back.arrays.get('adam/m/W1')).toEqual({ dtype: '<f4', shape: [3], data: new Float32Array([0.5, NaN, -0]) });
    expect(back.arrays.get('replay/actions')!.dtype).toBe('<i4');
    expect(back.arrays.get('replay/terminated')!.dtype).toBe('|b1');
    expect(back.arrays.get('rng/state')!.data).toEqual(new Uint32Array([0xdeadbeef, 1, 2, 3]));
    expect(back.arrays.get('steps')!.data[0]).toBe(123456789012n);
  });

  it('is deterministic and stores a versioned JSON header', () => {
    const a = encodeCheckpoint(sample());
    expect(encodeCheckpoint(sample())).toEqual(a);
    const files = unzipSync(a);
    const header = JSON.parse(new TextDecoder().decode(files['checkpoint.json'])) as { format: string; version: number };
    expect(header.format).toBe(CHECKPOINT_FORMAT);
    expect(header.version).toBe(1);
    expect(Object.keys(files)).toContain('arrays/online/W1.npy');
  });

  it('rejects other versions, other formats, weight files and damaged files clearly', () => {
    const files = unzipSync(encodeCheckpoint(sample()));
    const edit = (change: (h: Record<string, unknown>) => void) => {
      const header = JSON.parse(new TextDecoder().decode(files['checkpoint.json'])) as Record<string, unknown>;
      change(header);
      return zipSync({ ...files, 'checkpoint.json': new TextEncoder().encode(JSON.stringify(header)) });
    };
    expect(() => decodeCheckpoint(edit((h) => (h.version = 2)), 'run.ckpt')).toThrow(
      /run\.ckpt: checkpoint version 2, this build reads version 1/,
    );
    expect(() => decodeCheckpoint(edit((h) => (h.format = 'other')), 'x')).toThrow(/format 'other', expected 'webgpu-rl-engine-checkpoint'/);
    const weights = writeNpz([{ dtype: '<f8', shape: [1], data: new Float64Array(1) }]);
    expect(() => decodeCheckpoint(weights, 'w.npz')).toThrow(/w\.npz: not a checkpoint \(no checkpoint\.json; a weights \.npz\?\)/);
    expect(() => decodeCheckpoint(new Uint8Array([1, 2, 3, 4]), 'junk')).toThrow(/junk: not a checkpoint \(not a zip archive\)/);
    const missing = { ...files };
    delete missing['arrays/steps.npy'];
    expect(() => decodeCheckpoint(zipSync(missing), 'm')).toThrow(/m: missing entry 'arrays\/steps\.npy'/);
    const whole = encodeCheckpoint(sample());
    expect(() => decodeCheckpoint(whole.subarray(0, whole.length - 40), 't')).toThrow(/t: corrupt or truncated zip/);
  });

  it('refuses metadata JSON cannot hold and bad array names', () => {
    expect(() => encodeCheckpoint({ arrays: {}, meta: { loss: NaN } })).toThrow(/meta\.loss is NaN/);
    expect(() => encodeCheckpoint({ arrays: {}, meta: { a: [1, Infinity] } })).toThrow(/meta\.a\[1\] is Infinity/);
    expect(() => encodeCheckpoint({ arrays: { '../evil': new Float32Array(1) }, meta: null })).toThrow(/bad array name/);
    expect(() => encodeCheckpoint({ arrays: { 'a b': new Float32Array(1) }, meta: null })).toThrow(/bad array name 'a b'/);
  });

  it.skipIf(!hasNumpy)('opens in numpy.load as a zip of .npy files', () => {
    const path = join(dir, 'run.ckpt.npz');
    writeFileSync(path, encodeCheckpoint(sample()));
    const out = spawnSync('python3', ['-c', `
import numpy as np, sys
d = np.load(sys.argv[1])
print(sorted(d.files)[0], d['arrays/online/W1'].shape, d['arrays/rng/state'].dtype)
`, path], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('arrays/adam/m/W1 (4, 3) uint32');
  });
});
