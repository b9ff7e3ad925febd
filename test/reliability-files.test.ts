/**
 * Hostile archives given to the training CLI (--load, --mode eval --load, --resume) on a real child
 * process: zip bombs (test/support/zip-bombs.ts: an entry whose megabyte of stream inflates to a
 * gigabyte, however its sizes are declared), entries that share one stream, entry names that are
 * not plain relative paths or not a weights file's, a checkpoint where weights belong. Each must
 * end with exit code 2 and one stderr line naming the file and what is wrong, and cost at most 1 s
 * and 100 MB more than refusing a good file for a plain reason does: the child's CPU time and peak
 * resident memory, which a preload reports as it exits (test/support/peak-memory.ts). Its wall
 * time, which other work on a shared machine stretches (0.5-1.7 s for the same refusal here), must
 * stay within 5 s of that (the readers before this check took 3-30 s). Test titles start with
 * their id in docs/reliability.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK, ensureBuilt, readBytes, runCli } from './support/cli-process.js';
import { USAGE_PRELOAD } from './support/peak-memory.js';
import { BOMB_KINDS, buildZip, inflatingEntry, overlappingEntries, partsOf, type BombKind } from './support/zip-bombs.js';

const MAX_EXTRA_CPU_MS = 1000;
const MAX_EXTRA_WALL_MS = 5000;
const MAX_EXTRA_MIB = 100;

let base: string;
let weights: Uint8Array;
let checkpoint: Uint8Array;
/** What refusing a good file for a plain reason costs (a weights file for another env; a checkpoint with a conflicting flag). */
const baseline = { load: { ms: 0, cpuMs: 0, peakMiB: 0 }, resume: { ms: 0, cpuMs: 0, peakMiB: 0 } };

interface Measured {
  code: number | null;
  stderr: string;
  /** Wall time, CPU time (ms) and peak resident memory (MiB). */
  ms: number;
  cpuMs: number;
  peakMiB: number;
}

/** Runs the CLI in a fresh folder holding `files`, timed, with its CPU time and peak resident memory. */
function measuredRun(args: string[], files: Record<string, Uint8Array>): Measured {
  const dir = mkdtempSync(join(base, 'case-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const usageFile = join(dir, '.usage.json');
  const started = performance.now();
  const r = runCli(args, dir, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require "${USAGE_PRELOAD}"`, USAGE_FILE: usageFile }, 60_000);
  const ms = performance.now() - started;
  expect(r.signal, 'no hang').toBeNull();
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { peakKiB: number; cpuMs: number };
  return { code: r.code, stderr: r.stderr, ms, cpuMs: usage.cpuMs, peakMiB: usage.peakKiB / 1024 };
}

/** The CLI refuses with exit code 2 and one line matching `stderr`, within the bounds over `against`. */
function expectRefused(what: string, args: string[], files: Record<string, Uint8Array>, stderr: RegExp, against: 'load' | 'resume'): void {
  const r = measuredRun(args, files);
  const b = baseline[against];
  const show = (m: Pick<Measured, 'ms' | 'cpuMs' | 'peakMiB'>) => `${Math.round(m.cpuMs)} ms CPU, ${Math.round(m.ms)} ms wall, peak ${Math.round(m.peakMiB)} MiB`;
  console.log(`${what}: ${show(r)} (a good file refused for a plain reason: ${show(b)})`);
  expect(r.stderr, what).toMatch(/^error: [^\n]+\n$/);
  expect(r.stderr, what).toMatch(stderr);
  expect(r.code, what).toBe(2);
  expect(r.cpuMs - b.cpuMs, `${what}: CPU time beyond the baseline, ms`).toBeLessThan(MAX_EXTRA_CPU_MS);
  expect(r.ms - b.ms, `${what}: wall time beyond the baseline, ms`).toBeLessThan(MAX_EXTRA_WALL_MS);
  expect(r.peakMiB - b.peakMiB, `${what}: peak memory beyond the baseline, MiB`).toBeLessThan(MAX_EXTRA_MIB);
}

beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'rl-hostile-files-'));
  const made = runCli([...QUICK, '--steps', '400', '--out', 'run', '--save', 'w.npz', '--checkpoint-every', '200'], base);
  expect(made.code, made.stderr).toBe(0);
  weights = readBytes(join(base, 'w.npz'));
  checkpoint = readBytes(join(base, 'run', 'checkpoint.zip'));
  for (const [against, args, files] of [
    ['load', ['--mode', 'eval', '--load', 'w.npz', '--env', 'Acrobot-v1'], { 'w.npz': weights }],
    ['resume', ['--resume', 'c.zip', '--lr', '0.01'], { 'c.zip': checkpoint }],
  ] as const) {
    const r = measuredRun([...args], files);
    expect(r.code, r.stderr).toBe(2);
    baseline[against] = r;
  }
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** What the CLI says of a weights file whose arr_0 (4 x 8 of float64) is a bomb of each kind. */
const LOAD_BOMB_MESSAGES: Record<BombKind, RegExp> = {
  declared: /^error: w\.npz: entry 'arr_0\.npy': holds 1073742080 bytes of data, its header's shape \(4, 8\) of <f8 needs 256\n$/,
  consistent: /^error: w\.npz: arr_0 has shape \(134217728,\), the network needs \(4, 8\)/,
  overlong: /^error: w\.npz: corrupt or truncated zip: entry 'arr_0\.npy' inflates to more than the 384 bytes the directory declares\n$/,
};

describe('hostile archives: refused at once, naming the file', () => {
  it('[load-zip-bomb] a weights file whose entry inflates to 1 GB (declared so, with a header that agrees, or declared small): refused within 1 s and 100 MB', () => {
    for (const kind of BOMB_KINDS) {
      const bomb = { 'w.npz': inflatingEntry(weights, 'arr_0.npy', kind) };
      expectRefused(`--mode eval --load (${kind})`, ['--mode', 'eval', '--load', 'w.npz'], bomb, LOAD_BOMB_MESSAGES[kind], 'load');
      expectRefused(`--load (${kind})`, [...QUICK, '--load', 'w.npz'], bomb, LOAD_BOMB_MESSAGES[kind], 'load');
    }
    const record = { 'w.npz': inflatingEntry(weights, 'network.npy', 'consistent') };
    expectRefused('--load (network record)', ['--mode', 'eval', '--load', 'w.npz'], record, /^error: w\.npz: its 'network' entry holds 1073741824 bytes, more than the 65536 a network record may\n$/, 'load');
  });

  it('[load-overlapping-entries] a weights file whose four arrays share one 256 MB stream: refused within 1 s and 100 MB', () => {
    const bomb = { 'w.npz': overlappingEntries(weights, ['arr_0.npy', 'arr_1.npy', 'arr_2.npy', 'arr_3.npy'], 256) };
    expectRefused('--mode eval --load', ['--mode', 'eval', '--load', 'w.npz'], bomb, /^error: w\.npz: corrupt or truncated zip: entries 'arr_\d\.npy' and 'arr_\d\.npy' share bytes \(from offset \d+\): each entry must have its own\n$/, 'load');
  });

  it('[load-bad-entry-names] entries named ../evil.npy (or not a weights file\'s): the error lists the entries found', () => {
    const renamed = (name: string) => buildZip(partsOf(weights).map((part, i) => (i === 0 ? { ...part, name } : part)));
    expectRefused('../evil.npy', ['--mode', 'eval', '--load', 'w.npz'], { 'w.npz': renamed('../evil.npy') }, /^error: w\.npz: entry '\.\.\/evil\.npy' is not a plain relative name; the archive holds '\.\.\/evil\.npy', 'arr_1\.npy', 'arr_2\.npy', 'arr_3\.npy', 'network\.npy'\n$/, 'load');
    expectRefused('evil.npy', [...QUICK, '--load', 'w.npz'], { 'w.npz': renamed('evil.npy') }, /^error: w\.npz: not a weights file: it holds 'evil\.npy', 'arr_1\.npy', 'arr_2\.npy', 'arr_3\.npy', 'network\.npy'; a weights file holds arr_0\.npy, arr_1\.npy, \.\.\. \(each layer's W and b\) and network\.npy\n$/, 'load');
  });

  it('[load-checkpoint-as-weights] a checkpoint.zip given to --load: "this is a checkpoint: use --resume"', () => {
    const message = /^error: checkpoint\.zip: this is a checkpoint: use --resume to continue its run \(--load and the page's upload take a weights \.npz\)\n$/;
    expectRefused('--mode eval --load', ['--mode', 'eval', '--load', 'checkpoint.zip'], { 'checkpoint.zip': checkpoint }, message, 'load');
    expectRefused('--load', [...QUICK, '--load', 'checkpoint.zip'], { 'checkpoint.zip': checkpoint }, message, 'load');
  });

  it('[resume-zip-bomb] a checkpoint whose replay buffer or metadata inflates to 1 GB, however declared: refused within 1 s and 100 MB', () => {
    const observations = 'arrays/replay/observations.npy';
    const messages: Record<BombKind, RegExp> = {
      declared: /^error: c\.zip: entry 'arrays\/replay\/observations\.npy': holds \d+ bytes of data, its header's shape \(\d+,\) of <f4 needs \d+\n$/,
      consistent: /^error: c\.zip: checkpoint array 'replay\/observations' has shape \(268435456,\) \(268435456 values\); the config needs \d+\n$/,
      overlong: /^error: c\.zip: corrupt or truncated zip: entry 'arrays\/replay\/observations\.npy' inflates to more than the \d+ bytes the directory declares\n$/,
    };
    for (const kind of BOMB_KINDS) expectRefused(`--resume (${kind})`, ['--resume', 'c.zip'], { 'c.zip': inflatingEntry(checkpoint, observations, kind) }, messages[kind], 'resume');
    expectRefused('--resume (checkpoint.json)', ['--resume', 'c.zip'], { 'c.zip': inflatingEntry(checkpoint, 'checkpoint.json', 'declared') }, /^error: c\.zip: checkpoint\.json declares \d+ bytes, more than the 16777216 a checkpoint's metadata may hold\n$/, 'resume');
  });

  it('[resume-overlapping-entries] a checkpoint whose weight arrays share one 256 MB stream: refused within 1 s and 100 MB', () => {
    const shared = overlappingEntries(checkpoint, ['arrays/online/0.npy', 'arrays/target/0.npy', 'arrays/optimizer/m/0.npy', 'arrays/optimizer/v/0.npy'], 256);
    expectRefused('--resume', ['--resume', 'c.zip'], { 'c.zip': shared }, /^error: c\.zip: corrupt or truncated zip: entries '[^']+' and '[^']+' share bytes/, 'resume');
  });
});
