/**
 * Checks that two sets of CLI run outputs are the same, apart from what is meant to differ
 * (wall-clock times). Used to prove that a refactor keeps seeded runs bit for bit.
 *
 *   npx tsx scripts/compare-runs.ts <reference-dir> <candidate-dir>
 *
 * Every file under <reference-dir> (searched recursively) that the script knows is compared with
 * the file at the same relative path under <candidate-dir>:
 *   - `*.npz`: byte-identical;
 *   - `metrics.csv`: identical except the `wall_time_s` column;
 *   - `evaluations.csv`: identical;
 *   - `eval.json`, `config.json`: every key of the reference has the same value, `wallTimeS` aside
 *     (keys only the candidate has are listed, not failed);
 *   - `checkpoint.zip`: every array bit-identical, and every metadata key of the reference equal
 *     (the CLI's run record with its metrics rows' wall times left out and its paths taken relative
 *     to the two folders);
 *   - `log*.txt`: identical once timings (`… s`, `… steps/s`, `real/user/sys`) are blanked.
 * Other files (pictures) are skipped. Exits 1 when anything differs, listing each difference.
 *
 * The reference runs of issue 9 were made, from the reference folder, with
 *   node <repo>/bin/train.js --backend cpu --steps 20000 --seed 0 --out run0 --save w0.npz --no-video --final-eval-episodes 5 > log0.txt
 *   node <repo>/bin/train.js --backend cpu --steps 20000 --seed 1 --dueling --out run1 --save w1.npz --no-video --final-eval-episodes 5 > log1.txt
 *   node <repo>/bin/train.js --backend cpu --preset seed --steps 20000 --seed 2 --out run2 --save w2.npz --no-video --final-eval-episodes 5 > log2.txt
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { decodeCheckpoint, type JsonValue } from '../src/io/checkpoint.js';

type Verdict = { file: string; ok: boolean; notes: string[] };

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function firstLineDifference(a: string[], b: string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: '${a[i] ?? '<none>'}' vs '${b[i] ?? '<none>'}'`;
  }
  return null;
}

function compareCsv(ref: string, cand: string, ignoredColumn: string | null): string[] {
  const split = (text: string) => text.split('\n').map((line) => line.split(','));
  const a = split(ref);
  const b = split(cand);
  const drop = ignoredColumn === null ? -1 : a[0].indexOf(ignoredColumn);
  const keep = (rows: string[][]) => rows.map((cells) => cells.filter((_, i) => i !== drop).join(','));
  const difference = firstLineDifference(keep(a), keep(b));
  return difference === null ? [] : [difference];
}

/** Keys of `ref` whose values differ in `cand` (recursively, by JSON text), `ignored` keys aside. */
function compareJson(ref: JsonValue, cand: JsonValue, ignored: readonly string[]): { differences: string[]; added: string[] } {
  const differences: string[] = [];
  const added: string[] = [];
  if (ref === null || typeof ref !== 'object' || Array.isArray(ref) || cand === null || typeof cand !== 'object' || Array.isArray(cand)) {
    if (JSON.stringify(ref) !== JSON.stringify(cand)) differences.push('values differ');
    return { differences, added };
  }
  for (const [key, value] of Object.entries(ref)) {
    if (ignored.includes(key)) continue;
    if (!(key in cand)) differences.push(`${key}: missing`);
    else if (JSON.stringify(value) !== JSON.stringify(cand[key])) differences.push(`${key}: ${JSON.stringify(value)} vs ${JSON.stringify(cand[key])}`);
  }
  for (const key of Object.keys(cand)) if (!(key in ref)) added.push(key);
  return { differences, added };
}

/**
 * A checkpoint's metadata with what is meant to differ between two sets of runs taken out of the
 * CLI's run record (run.frontEnd): the wall-time column of its metrics rows, and the folder the
 * runs were made in from its absolute paths.
 */
function comparableMeta(meta: JsonValue, folder: string): JsonValue {
  const run = (meta as { run?: { frontEnd?: Record<string, JsonValue> } }).run;
  const record = run?.frontEnd;
  if (record === undefined) return meta;
  const relativePath = (p: JsonValue) => (typeof p === 'string' && p.startsWith(folder) ? `<runs>${p.slice(folder.length)}` : p);
  const episodes = Array.isArray(record.episodes) ? record.episodes.map((row) => (Array.isArray(row) ? row.slice(0, 6) : row)) : record.episodes;
  const frontEnd = { ...record, save: relativePath(record.save), video: relativePath(record.video), episodes };
  return { ...(meta as Record<string, JsonValue>), run: { ...run, frontEnd } } as JsonValue;
}

function compareCheckpoints(ref: Uint8Array, cand: Uint8Array, name: string, folders: { ref: string; cand: string }): { differences: string[]; added: string[] } {
  const a = decodeCheckpoint(ref, `reference ${name}`);
  const b = decodeCheckpoint(cand, `candidate ${name}`);
  const differences: string[] = [];
  for (const [key, array] of a.arrays) {
    const other = b.arrays.get(key);
    if (!other) differences.push(`array ${key}: missing`);
    else if (array.dtype !== other.dtype || JSON.stringify(array.shape) !== JSON.stringify(other.shape)) differences.push(`array ${key}: ${array.dtype} ${array.shape} vs ${other.dtype} ${other.shape}`);
    else if (!sameBytes(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), new Uint8Array(other.data.buffer, other.data.byteOffset, other.data.byteLength))) differences.push(`array ${key}: values differ`);
  }
  const added = [...b.arrays.keys()].filter((key) => !a.arrays.has(key)).map((key) => `array ${key}`);
  const meta = compareJson(comparableMeta(a.meta, folders.ref), comparableMeta(b.meta, folders.cand), []);
  return { differences: [...differences, ...meta.differences.map((d) => `meta ${d}`)], added: [...added, ...meta.added.map((k) => `meta ${k}`)] };
}

/** Blanks what depends on the clock ("9.4 s", "2132 steps/s") and drops blank lines and time(1)'s lines. */
function withoutTimings(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^(real|user|sys)\s/.test(line))
    .map((line) => line.replace(/[\d.]+ s\b/g, '# s').replace(/[\d.-]+ steps\/s/g, '# steps/s'));
}

function compareFile(refPath: string, candPath: string, rel: string, folders: { ref: string; cand: string }): Verdict | null {
  const name = basename(rel);
  const kind = name.endsWith('.npz')
    ? 'npz'
    : name === 'metrics.csv' || name === 'evaluations.csv'
      ? 'csv'
      : name === 'eval.json' || name === 'config.json'
        ? 'json'
        : name.endsWith('.zip')
          ? 'checkpoint'
          : /^log.*\.txt$/.test(name)
            ? 'log'
            : null;
  if (kind === null) return null;
  if (!existsSync(candPath)) return { file: rel, ok: false, notes: ['missing in the candidate'] };
  const ref = new Uint8Array(readFileSync(refPath));
  const cand = new Uint8Array(readFileSync(candPath));
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  switch (kind) {
    case 'npz':
      return { file: rel, ok: sameBytes(ref, cand), notes: sameBytes(ref, cand) ? ['byte-identical'] : [`bytes differ (${ref.length} vs ${cand.length} bytes)`] };
    case 'csv': {
      const differences = compareCsv(text(ref), text(cand), name === 'metrics.csv' ? 'wall_time_s' : null);
      return { file: rel, ok: differences.length === 0, notes: differences.length ? differences : [name === 'metrics.csv' ? 'identical (wall_time_s aside)' : 'identical'] };
    }
    case 'json': {
      const { differences, added } = compareJson(JSON.parse(text(ref)) as JsonValue, JSON.parse(text(cand)) as JsonValue, ['wallTimeS']);
      const notes = differences.length ? differences : ['identical (wallTimeS aside)'];
      if (added.length) notes.push(`only in the candidate: ${added.join(', ')}`);
      return { file: rel, ok: differences.length === 0, notes };
    }
    case 'checkpoint': {
      const { differences, added } = compareCheckpoints(ref, cand, rel, folders);
      const notes = differences.length ? differences : ['every array and metadata value identical'];
      if (added.length) notes.push(`only in the candidate: ${added.join(', ')}`);
      return { file: rel, ok: differences.length === 0, notes };
    }
    case 'log': {
      const difference = firstLineDifference(withoutTimings(text(ref)), withoutTimings(text(cand)));
      return { file: rel, ok: difference === null, notes: [difference ?? 'identical (timings aside)'] };
    }
  }
}

function main(argv: string[]): number {
  if (argv.length !== 2) {
    process.stderr.write('usage: tsx scripts/compare-runs.ts <reference-dir> <candidate-dir>\n');
    return 2;
  }
  const [refDir, candDir] = argv;
  for (const dir of [refDir, candDir]) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`compare-runs: '${dir}' is not a folder\n`);
      return 2;
    }
  }
  const verdicts = filesUnder(refDir)
    .map((path) => {
      const rel = relative(refDir, path);
      return compareFile(path, join(candDir, rel), rel, { ref: resolve(refDir), cand: resolve(candDir) });
    })
    .filter((v): v is Verdict => v !== null)
    .sort((a, b) => a.file.localeCompare(b.file));
  for (const v of verdicts) process.stdout.write(`${v.ok ? 'same' : 'DIFF'}  ${v.file}: ${v.notes.join('; ')}\n`);
  const failed = verdicts.filter((v) => !v.ok).length;
  process.stdout.write(`${verdicts.length} files compared, ${failed} differ\n`);
  return failed === 0 && verdicts.length > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
