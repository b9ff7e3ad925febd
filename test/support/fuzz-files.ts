/**
 * The file fuzzer behind test/reliability-fuzz.test.ts, run in a child process (whose address
 * space the test limits, so any allocation beyond the bound fails): thousands of mutated weights
 * .npz files and checkpoint.zip files, each fed to the readers a user's file meets. Every outcome
 * must be a success or a clean error (InvalidArgumentError, ShapeError, UnknownNameError) whose
 * message names the file; anything else (TypeError, RangeError, a failed allocation) is a failure.
 * A checkpoint that decodes must also restore into a real trainer and train a few steps. A file
 * damaged below the level of its contents (a flipped bit, a truncation, a spliced chunk, an edited
 * zip field) that still reads must read exactly as the original: never a silent change. Zip bombs
 * (an entry inflating to 16 MiB - 1 GiB, however declared) and entries sharing one stream must
 * be refused, each case timed and its peak memory growth measured (test/support/peak-memory.ts).
 *
 *   node --import tsx test/support/fuzz-files.ts <iterations per kind> <seed>
 *
 * Prints one JSON line: counts per kind, mutation and outcome, up to 20 failures, and for the
 * bomb mutations the slowest case and the largest peak memory growth.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../../src/errors.js';
import { decodeMlpWeightsNpz } from '../../src/io/mlp-weights.js';
import { readNpz, writeNpz } from '../../src/io/npz.js';
import { preset, type DqnConfig } from '../../src/rl/config.js';
import { DqnTrainer } from '../../src/rl/dqn-trainer.js';
import { checkRunFits } from '../../src/rl/memory-budget.js';
import { qNetworkWeightShapes } from '../../src/rl/q-network.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../../src/rl/trainer-checkpoint.js';
import { encodeWeightsNpz, readWeightsFile, weightsForShapes } from '../../src/rl/weights-file.js';
import { measure } from './peak-memory.js';
import { concat } from './bytes.js';
import { BOMB_KINDS, inflatingEntry, overlappingEntries as sharedStream } from './zip-bombs.js';

/** mulberry32: a small deterministic generator, so a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, list: readonly T[]): T => list[int(random, list.length)];

/** A 32-bit or 16-bit little-endian field of a zip record, overwritten with an awkward value. */
function editZipField(bytes: Uint8Array, random: Random): Uint8Array {
  const out = Uint8Array.from(bytes);
  const view = new DataView(out.buffer);
  const signatures = [0x04034b50, 0x02014b50, 0x06054b50];
  const starts: number[] = [];
  for (let i = 0; i + 4 <= out.length; i++) if (out[i] === 0x50 && out[i + 1] === 0x4b && signatures.includes(view.getUint32(i, true))) starts.push(i);
  if (starts.length === 0) return flipBits(bytes, random);
  const at = pick(random, starts) + 4 + 2 * int(random, 20);
  if (at + 4 > out.length) return out;
  const values = [0, 1, 0xffff, 0xffffffff, 0x7fffffff, out.length, out.length + 1, int(random, 0x100000000)];
  const value = pick(random, values);
  if (random() < 0.5) view.setUint32(at, value >>> 0, true);
  else view.setUint16(at, value & 0xffff, true);
  return out;
}

function flipBits(bytes: Uint8Array, random: Random): Uint8Array {
  const out = Uint8Array.from(bytes);
  const flips = 1 + int(random, 8);
  for (let i = 0; i < flips; i++) out[int(random, out.length)] ^= 1 << int(random, 8);
  return out;
}

function truncate(bytes: Uint8Array, random: Random): Uint8Array {
  return bytes.slice(0, int(random, bytes.length));
}

/** Deletes, duplicates or inserts a chunk of bytes. */
function splice(bytes: Uint8Array, random: Random): Uint8Array {
  const at = int(random, bytes.length);
  const length = 1 + int(random, 64);
  const parts = [bytes.subarray(0, at)];
  const choice = int(random, 3);
  if (choice === 1) parts.push(bytes.subarray(at, at + length));
  if (choice === 2) parts.push(Uint8Array.from({ length }, () => int(random, 256)));
  parts.push(bytes.subarray(choice === 0 ? at + length : at));
  return concat(parts);
}

const NPY_HEADER_EDITS: [RegExp, string[]][] = [
  [/'shape': \([^)]*\)/, ["'shape': ()", "'shape': (0,)", "'shape': (99999999999,)", "'shape': (4294967296, 4294967296)", "'shape': (-1, 8)", "'shape': (1e3,)", "'shape': (4, 8, 2)", "'shape': (2, ", "'shape': (9007199254740993,)"]],
  [/'descr': '[^']*'/, ["'descr': '<f2'", "'descr': '|O'", "'descr': '>f8'", "'descr': '<U10'", "'descr': ''", "'descr': '<i8'", "'descr': '|b1'"]],
  [/'fortran_order': (True|False)/, ["'fortran_order': True", "'fortran_order': maybe", ''] ],
];

/** Edits the header text of one .npy entry of an archive, re-zipped with correct CRCs (the reader must catch the edit itself). */
function editNpyHeader(bytes: Uint8Array, random: Random): Uint8Array {
  const files = unzipSync(bytes);
  const names = Object.keys(files).filter((n) => n.endsWith('.npy'));
  if (names.length === 0) return flipBits(bytes, random);
  const name = pick(random, names);
  const entry = files[name];
  const length = entry[6] === 1 ? entry[8] | (entry[9] << 8) : 0;
  const headerEnd = 10 + length;
  let text = new TextDecoder('latin1').decode(entry.subarray(10, headerEnd));
  const [pattern, replacements] = pick(random, NPY_HEADER_EDITS);
  text = text.replace(pattern, pick(random, replacements)).padEnd(length - 1, ' ').slice(0, Math.max(0, length - 1)) + '\n';
  const edited = new Uint8Array(entry.length);
  edited.set(entry);
  for (let i = 0; i < text.length && 10 + i < headerEnd; i++) edited[10 + i] = text.charCodeAt(i) & 0xff;
  if (random() < 0.2) edited[6] = pick(random, [2, 3, 4, 0]);
  files[name] = edited;
  return zipSync(files, { level: 0 });
}

const JSON_VALUES: unknown[] = [null, 'x', '', -1, 0, 1.5, 1e20, 2 ** 53, -0.5, true, [], {}, [1, 2, 3], { bitGenerator: 'PCG64' }, '12345678901234567890', 1e308];

/** Sets, deletes or re-types one field of a JSON value, chosen at random among all its paths. */
function editJson(value: unknown, random: Random): void {
  const paths: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((child, i) => (paths.push({ parent: node, key: i }), walk(child)));
    else if (node !== null && typeof node === 'object') for (const [k, child] of Object.entries(node)) (paths.push({ parent: node as Record<string, unknown>, key: k }), walk(child));
  };
  walk(value);
  if (paths.length === 0) return;
  const { parent, key } = pick(random, paths);
  if (!Array.isArray(parent) && random() < 0.15) delete parent[key as string];
  else (parent as Record<string | number, unknown>)[key] = pick(random, JSON_VALUES);
}

/** Edits checkpoint.json (the metadata), re-zipped with correct CRCs. */
function editCheckpointJson(bytes: Uint8Array, random: Random): Uint8Array {
  const files = unzipSync(bytes);
  const header = JSON.parse(new TextDecoder().decode(files['checkpoint.json'])) as unknown;
  const edits = 1 + int(random, 3);
  for (let i = 0; i < edits; i++) editJson(header, random);
  files['checkpoint.json'] = new TextEncoder().encode(JSON.stringify(header));
  return zipSync(files, { level: random() < 0.5 ? 0 : 6 });
}

/** Edits the `network` entry's JSON of a weights file, re-zipped with correct CRCs. */
function editNetworkJson(bytes: Uint8Array, random: Random): Uint8Array {
  const files = unzipSync(bytes);
  const entry = files['network.npy'];
  if (entry === undefined) return flipBits(bytes, random);
  const array = readNpz(zipSync({ 'network.npy': entry }), 'x').get('network');
  const json = JSON.parse(new TextDecoder().decode(array?.data as Uint8Array)) as unknown;
  editJson(json, random);
  const data = new TextEncoder().encode(JSON.stringify(json));
  files['network.npy'] = unzipSync(writeNpz({ network: { dtype: '|u1', shape: [data.length], data } }))['network.npy'];
  return zipSync(files, { level: 0 });
}

/** Sizes a bomb inflates to, in MiB. */
const BOMB_MIB = [16, 64, 256, 1024];

/** One entry (any: arrays, the network record, checkpoint.json) replaced by a bomb of a random kind and size (zip-bombs.ts). */
function zipBomb(bytes: Uint8Array, random: Random): Uint8Array {
  const names = Object.keys(unzipSync(bytes));
  return inflatingEntry(bytes, pick(random, names), pick(random, BOMB_KINDS), pick(random, BOMB_MIB));
}

/** Two to four entries pointing at one stream of 16 to 256 MiB. */
function overlappingEntries(bytes: Uint8Array, random: Random): Uint8Array {
  const names = Object.keys(unzipSync(bytes)).filter((name) => name.endsWith('.npy'));
  const shared = names.filter(() => random() < 0.5).slice(0, 4);
  while (shared.length < 2) shared.push(names.filter((name) => !shared.includes(name))[0]);
  return sharedStream(bytes, shared, pick(random, BOMB_MIB.slice(0, 3)));
}

/** Mutations that edit the contents on purpose (re-zipped with correct CRCs): a changed result is allowed. */
const CONTENT_EDITS = new Set(['editNpyHeader', 'editNetworkJson', 'editCheckpointJson']);
/** Mutations that make zip bombs: each case is timed and its peak memory growth measured. */
const BOMB_MUTATIONS = ['zipBomb', 'overlappingEntries'];

const MUTATIONS = { flipBits, truncate, splice, editZipField, editNpyHeader, zipBomb, overlappingEntries } as const;
const NPZ_MUTATIONS = { ...MUTATIONS, editNetworkJson } as const;
const CHECKPOINT_MUTATIONS = { ...MUTATIONS, editCheckpointJson } as const;

function isClean(error: unknown, fileName: string): boolean {
  const kind = error instanceof InvalidArgumentError || error instanceof ShapeError || error instanceof UnknownNameError;
  return kind && (error as Error).message.includes(fileName);
}

/** The weights readers: the archive, the network entry, the arrays for the network, and the MLP reader. Returns what was read. */
function readWeights(bytes: Uint8Array, fileName: string): unknown {
  const file = readWeightsFile(bytes, fileName);
  const hidden = file.network?.hidden ?? [8];
  weightsForShapes(file, qNetworkWeightShapes({ obsDim: 4, nActions: 2, hidden, dueling: file.network?.dueling ?? false, quantiles: file.network?.quantiles ?? 1 }));
  decodeMlpWeightsNpz(bytes, fileName);
  return readNpz(bytes, fileName);
}

/** The checkpoint reader, then (for a checkpoint that decodes) a real trainer restored from it, a few steps on. */
async function readCheckpoint(bytes: Uint8Array, fileName: string): Promise<unknown> {
  const decoded = decodeTrainerCheckpoint(bytes, fileName);
  const { state } = decoded;
  const env = { obsDim: state.replay.obsDim, nActions: 2 };
  // The run's arrays must fit a 256 MB budget before anything is built (the CLI checks the machine's memory).
  checkRunFits(state.config, env.obsDim, env.nActions, { hostBytes: 256e6 }, (key) => `${fileName}: config.${key}`);
  const trainer = new DqnTrainer(new CpuBackend(), { ...state.config, steps: state.steps + 5, episodes: 0 }, state.seed);
  try {
    trainer.restore(state);
    await trainer.run(5);
  } finally {
    trainer.dispose();
  }
  return decoded;
}

async function seeds(): Promise<{ npz: Uint8Array[]; checkpoints: Uint8Array[] }> {
  const config: DqnConfig = { ...preset('default'), hidden: [8], bufferSize: 300, batchSize: 8, learningStarts: 20, steps: 120, evalFreq: 60, evalEpisodes: 1 };
  const trainer = new DqnTrainer(new CpuBackend(), config, 3);
  await trainer.run(70);
  const mid = encodeTrainerCheckpoint(await trainer.getState(), { preset: 'default' });
  const weights = await trainer.agent.online.getWeights();
  const shapes = trainer.agent.online.weightShapes();
  trainer.dispose();
  const network = { obsDim: 4, nActions: 2, hidden: [8], activation: 'relu' as const, dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' as const, env: 'CartPole-v1' };
  const fixture = new Uint8Array(readFileSync(new URL('../fixtures/numpy-rl-engine-weights.npz', import.meta.url)));
  return {
    npz: [encodeWeightsNpz(weights, shapes, network), encodeWeightsNpz(weights, shapes), fixture],
    checkpoints: [mid],
  };
}

/** What `read` returns or throws, as a promise (a synchronous throw becomes a rejection). */
function settled(read: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}

async function main(iterations: number, seed: number): Promise<void> {
  const random = generator(seed);
  const { npz, checkpoints } = await seeds();
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  let slowestMs = 0;
  const bombs = { slowestMs: 0, peakGrowthMiB: 0 };
  const kinds: [string, Uint8Array[], Record<string, (b: Uint8Array, r: Random) => Uint8Array>, (b: Uint8Array, f: string) => unknown][] = [
    ['npz', npz, NPZ_MUTATIONS, readWeights],
    ['checkpoint', checkpoints, CHECKPOINT_MUTATIONS, readCheckpoint],
  ];
  for (const [kind, originals, mutations, read] of kinds) {
    // A read of an original, for the comparison (the fileName differs, so errors would differ: none are expected).
    const names = Object.keys(mutations);
    for (let i = 0; i < iterations; i++) {
      const mutation = names[i % names.length];
      const caseSeed = Math.floor(random() * 2 ** 32);
      const caseRandom = generator(caseSeed);
      const original = originals[i % originals.length];
      const fileName = `${kind}-${i}.bin`;
      let outcome: string;
      const started = performance.now();
      try {
        const mutated = mutations[mutation](original, caseRandom);
        const reading = () => settled(() => read(mutated, fileName));
        let pending: Promise<unknown>;
        if (BOMB_MUTATIONS.includes(mutation)) {
          // The read of a bomb is measured (not its making): its time and peak memory growth.
          const { value, ms, peakGrowthMiB } = measure(reading);
          bombs.slowestMs = Math.max(bombs.slowestMs, ms);
          bombs.peakGrowthMiB = Math.max(bombs.peakGrowthMiB, peakGrowthMiB);
          pending = value;
        } else {
          pending = reading();
        }
        const content = await pending;
        outcome = 'ok';
        // Damage below the contents must never change them silently.
        if (!CONTENT_EDITS.has(mutation) && !isDeepStrictEqual(content, await read(original, 'original'))) {
          outcome = 'FAILURE';
          if (failures.length < 20) failures.push(`${kind} ${mutation} seed ${caseSeed}: read without error but with different contents`);
        }
      } catch (error) {
        if (isClean(error, fileName)) outcome = 'clean error';
        else {
          outcome = 'FAILURE';
          if (failures.length < 20) failures.push(`${kind} ${mutation} seed ${caseSeed}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`.slice(0, 400));
        }
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
      count(`${kind} ${mutation} ${outcome}`);
      count(`total ${outcome}`);
    }
  }
  const vmPeakKiB = Number(/VmPeak:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  const bombReport = { slowestMs: Math.round(bombs.slowestMs), peakGrowthMiB: Math.round(bombs.peakGrowthMiB * 10) / 10 };
  process.stdout.write(JSON.stringify({ iterations: 2 * iterations, counts, failures, slowestMs: Math.round(slowestMs), bombs: bombReport, vmPeakKiB }) + '\n');
}

await main(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 1));
