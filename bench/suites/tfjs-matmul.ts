/**
 * Matmul GFLOP/s of the engine's CPU backend (Backend.matmul into a preallocated output) beside
 * TensorFlow.js 4.x's WASM backend (tf.matMul with its transpose flags: XNNPACK, SIMD, one thread),
 * at 64^3, 256^3 and 1024^3 for a b, a^T b and a b^T, float32, in one run. The two are measured in
 * interleaved blocks of about 0.25 s (order reversed every other repeat); figures are medians and
 * each ratio is the median of the per-repeat ratios. BENCH_TFJS_REPEATS sets the repeats (default 5;
 * at most 3 at 1024^3, where one tfjs-wasm a^T b call takes seconds).
 */
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { Rng } from '../../src/random/rng.js';
import { interleave, medianRatio, summary, type Contender } from '../dqn/update-bench.js';
import { openTfjs } from '../tfjs/tfjs-node.js';

const SIZES = [64, 256, 1024];
const CASES = [
  { name: 'a b', transA: false, transB: false },
  { name: 'a^T b', transA: true, transB: false },
  { name: 'a b^T', transA: false, transB: true },
] as const;
const REPEATS = Number(process.env.BENCH_TFJS_REPEATS ?? 5);
const REPEATS_AT_1024 = Math.min(REPEATS, 3);
const SECONDS_PER_BLOCK = 0.25;

function timed(name: string, call: () => void): Contender {
  return {
    name,
    async run(calls) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) call();
      return (performance.now() - start) / 1000;
    },
  };
}

export default async function tfjsMatmulSuite(): Promise<Record<string, unknown>> {
  const session = await openTfjs(['wasm']);
  if (!session.backends.includes('wasm')) throw new Error(`tfjs wasm unavailable: ${session.unavailable.wasm ?? '?'}`);
  const tf = session.tf;
  const cpu = new CpuBackend();
  const result: Record<string, unknown> = {
    method: 'GFLOP/s = 2 n^3 / s; interleaved blocks of ~0.25 s, order alternating per repeat; medians; ratio = median of per-repeat ratios',
    repeats: { below1024: REPEATS, at1024: REPEATS_AT_1024 },
    engine: `CPU backend (${cpu.dtype}), Backend.matmul into a preallocated output`,
    tfjs: { ...session.info, call: 'tf.matMul(a, b, transposeA, transposeB), result disposed' },
  };
  try {
    for (const n of SIZES) {
      process.stderr.write(`bench: tfjs-matmul ${n}^3\n`);
      const rng = new Rng(n);
      const dataA = new Float32Array(n * n);
      const dataB = new Float32Array(n * n);
      rng.fillUniform(dataA, -1, 1);
      rng.fillUniform(dataB, -1, 1);
      const a = cpu.tensor([n, n], dataA);
      const b = cpu.tensor([n, n], dataB);
      const out = cpu.tensor([n, n]);
      await session.use('wasm');
      const ta = tf.tensor2d(dataA, [n, n]);
      const tb = tf.tensor2d(dataB, [n, n]);
      const row: Record<string, unknown> = {};
      for (const c of CASES) {
        const engine = timed('engine cpu', () => cpu.matmul(a, b, out, { transA: c.transA, transB: c.transB }));
        const tfjs = timed('tfjs wasm', () => tf.matMul(ta, tb, c.transA, c.transB).dispose());
        for (const contender of [engine, tfjs]) await contender.run(n >= 1024 ? 1 : 5); // warm-up
        const rates = await interleave([engine, tfjs], { repeats: n >= 1024 ? REPEATS_AT_1024 : REPEATS, secondsPerBlock: SECONDS_PER_BLOCK, calibrateFrom: 1 });
        const flops = (2 * n ** 3) / 1e9;
        const gflops = (c2: Contender) => (rates.get(c2) as number[]).map((callsPerSecond) => callsPerSecond * flops);
        row[c.name] = {
          'engine cpu': summary(gflops(engine), 'gflops'),
          'tfjs wasm': summary(gflops(tfjs), 'gflops'),
          'engine cpu / tfjs wasm': medianRatio(gflops(engine), gflops(tfjs)),
        };
      }
      ta.dispose();
      tb.dispose();
      for (const t of [a, b, out]) t.dispose();
      result[`${n}^3`] = row;
    }
  } finally {
    cpu.destroy();
  }
  return result;
}
