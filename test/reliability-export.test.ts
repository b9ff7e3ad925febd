/**
 * `--mode export` of a file that is not a policy (docs/reliability.md, "Exporting a policy"): a text
 * file, a run's checkpoint.zip, an .npz of no arrays, an .npz of other arrays, and a weights file
 * whose arrays do not fit its record are each refused with exit code 2 and one line naming --load,
 * the file and why, and nothing is written at --export (not even a temp file).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../src/io/npz.js';
import { QUICK, editWeightsFile, ensureBuilt, readBytes, runCli } from './support/cli-process.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'reliability-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exporting a file that is not a policy', () => {
  it('[export-not-a-policy] a text file, a checkpoint, an npz of no or other arrays, arrays that do not fit the record: exit 2, the file and why, nothing written', () => {
    const trained = runCli([...QUICK, '--steps', '300', '--out', 'run', '--save', 'w.npz'], dir);
    expect(trained.code).toBe(0);
    writeFileSync(join(dir, 'notes.txt'), 'not weights\n');
    writeFileSync(join(dir, 'empty.npz'), writeNpz({}));
    writeFileSync(join(dir, 'other.npz'), writeNpz({ scores: { dtype: '<f8', shape: [3], data: new Float64Array(3) } }));
    // The head's W with one column too many for the record's 2 actions.
    const misfit = editWeightsFile(readBytes(join(dir, 'w.npz')), (_, arrays) => {
      const w = arrays.get('arr_2')!;
      arrays.set('arr_2', { dtype: '<f8', shape: [w.shape[0], 3], data: new Float64Array(w.shape[0] * 3) });
    });
    writeFileSync(join(dir, 'misfit.npz'), misfit);
    const cases: [string, RegExp][] = [
      ['notes.txt', /^error: --load 'notes\.txt' is not a policy to export: notes\.txt: not a zip archive \(\.npz files are zips of \.npy files\)$/],
      [join('run', 'checkpoint.zip'), /^error: --load 'run\/checkpoint\.zip' is not a policy to export: run\/checkpoint\.zip: this is a checkpoint, not a policy's weights file: export the weights \.npz its run saved/],
      ['empty.npz', /^error: --load 'empty\.npz' is not a policy to export: empty\.npz: not a policy: it holds no arrays and no 'network' record/],
      ['other.npz', /^error: --load 'other\.npz' is not a policy to export: other\.npz: not a weights file: it holds 'scores\.npy'/],
      ['misfit.npz', /^error: --load 'misfit\.npz' is not a policy to export: misfit\.npz: arr_2 has shape \(8, 3\), the network needs \(8, 2\)/],
    ];
    for (const [file, message] of cases) {
      const r = runCli(['--mode', 'export', '--load', file, '--export', 'out/policy.onnx'], dir);
      expect({ file, code: r.code, stdout: r.stdout }).toEqual({ file, code: 2, stdout: '' });
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
    // The file itself still exports.
    const ok = runCli(['--mode', 'export', '--load', 'w.npz', '--export', 'out/policy.onnx'], dir);
    expect(ok.code).toBe(0);
    expect(readdirSync(join(dir, 'out'))).toEqual(['policy.onnx']);
  });
});
