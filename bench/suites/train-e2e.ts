/**
 * End to end (issue 10): the whole process `node bin/train.js --backend cpu --no-video` with the
 * default preset (CartPole-v1, 50k steps, its periodic evaluations, checkpoints and the final
 * 100-episode greedy evaluation) against bench/numpy/train_cartpole.py, a plain Python + NumPy DQN
 * with the same settings, run in the same bench run, alternating (engine, NumPy, NumPy, engine, ...).
 *
 * Opt-in (long): `npm run bench -- --only train-e2e`. BENCH_E2E_REPEATS sets the runs per side
 * (default 2), BENCH_E2E_SEED the seed (default 0). Rebuilds dist/ first when it is older than src/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NUMPY_SCRIPT = join(ROOT, 'bench/numpy/train_cartpole.py');
const CLI = join(ROOT, 'bin/train.js');
const REPEATS = Number(process.env.BENCH_E2E_REPEATS ?? 2);
const SEED = Number(process.env.BENCH_E2E_SEED ?? 0);
const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

interface Run {
  seconds: number;
  finalGreedyMean: number | null;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** bin/train.js runs dist/: rebuild it when src/ has changed since. Returns whether it built. */
function ensureBuilt(): boolean {
  const built = join(ROOT, 'dist/cli/train.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src'))) return false;
  process.stderr.write('bench: train-e2e: dist/ is older than src/, running npm run build\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr || build.stdout}`);
  return true;
}

function timed(command: string, args: string[]): { seconds: number; stdout: string } {
  const start = performance.now();
  const run = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...ONE_THREAD }, maxBuffer: 256 << 20 });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${run.status}): ${(run.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return { seconds, stdout: run.stdout };
}

function engineRun(): Run {
  const dir = mkdtempSync(join(tmpdir(), 'train-e2e-'));
  try {
    const out = join(dir, 'run');
    const { seconds } = timed('node', [CLI, '--backend', 'cpu', '--no-video', '--seed', String(SEED), '--out', out, '--save', join(dir, 'dqn_weights.npz')]);
    const evalFile = join(out, 'eval.json');
    const finalGreedyMean = existsSync(evalFile) ? (JSON.parse(readFileSync(evalFile, 'utf8')) as { mean: number }).mean : null;
    return { seconds, finalGreedyMean };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function numpyRun(): Run {
  const { seconds, stdout } = timed('python3', [NUMPY_SCRIPT, '--seed', String(SEED)]);
  const result = JSON.parse(stdout.trim().split('\n').pop() as string) as { final?: { mean: number } };
  return { seconds, finalGreedyMean: result.final?.mean ?? null };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export default async function trainE2eSuite(): Promise<Record<string, unknown>> {
  const rebuilt = ensureBuilt();
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  const numpyMissing = probe.error ? `python3 not found (${probe.error.message})` : probe.status !== 0 ? 'python3 has no NumPy' : null;
  const engine: Run[] = [];
  const numpy: Run[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const order = r % 2 === 0 ? (['engine', 'numpy'] as const) : (['numpy', 'engine'] as const);
    for (const side of order) {
      if (side === 'numpy' && numpyMissing) continue;
      process.stderr.write(`bench: train-e2e ${side} run ${r + 1}/${REPEATS}\n`);
      (side === 'engine' ? engine : numpy).push(side === 'engine' ? engineRun() : numpyRun());
    }
  }
  const describe = (runs: Run[]) => ({
    medianSeconds: round(median(runs.map((x) => x.seconds))),
    seconds: runs.map((x) => round(x.seconds)),
    finalGreedyMeans: runs.map((x) => x.finalGreedyMean),
  });
  return {
    what: `whole process, CartPole-v1 default preset, 50k steps, seed ${SEED}: node bin/train.js --backend cpu --no-video vs python3 bench/numpy/train_cartpole.py`,
    repeats: REPEATS,
    rebuiltDist: rebuilt,
    engineCpu: describe(engine),
    numpy: numpyMissing ?? describe(numpy),
    ...(numpyMissing ? {} : { engineTimeOverNumpyTime: round(median(engine.map((e, i) => e.seconds / numpy[i].seconds))) }),
  };
}
