/**
 * Per-op A/B of the fused ops of a DQN update (bench/dqn-ops.ts) between source trees, interleaved:
 *
 *   tsx bench/ab-kernels.ts [--hidden 64] [--rounds 9] [--reps 50] ROOT_A ROOT_B ...
 *
 * Each tree's WebGpuBackend runs the same op list (only the public Backend API); each op is
 * recorded `reps` times into one submission and waited for, and the trees alternate op by op
 * (A B, then B A), so the load of a shared machine hits them alike. Prints, per op and tree, the
 * median over the rounds of the driver threads' CPU microseconds per call (the steadier figure on
 * a shared machine; see workerCpuNs) and of the wall microseconds, and each tree's median ratio
 * to the first.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend } from '../src/backend/backend.js';
import { dqnOps, median, timeOp, type OpTiming } from './dqn-ops.js';
import { takeOption } from './harness.js';

const args = process.argv.slice(2);
const option = (flag: string, fallback: string): string => takeOption(args, flag, fallback);
const hidden = Number(option('--hidden', '64'));
const rounds = Number(option('--rounds', '9'));
const reps = Number(option('--reps', '50'));
const options = JSON.parse(option('--options', '{}')) as Record<string, unknown>;
const roots = args.length > 0 ? args : ['.'];

const backends: Backend[] = [];
for (const root of roots) {
  const mod = (await import(pathToFileURL(resolve(root, 'src/backend/webgpu/index.ts')).href)) as typeof import('../src/backend/webgpu/index.js');
  backends.push(await mod.WebGpuBackend.create(options));
}
const sets = backends.map((b) => dqnOps(b, hidden));
const names = sets[0].ops.map((o) => o.name);
const times: OpTiming[][][] = names.map(() => roots.map(() => []));
for (let i = 0; i < names.length; i++) for (let k = 0; k < roots.length; k++) await timeOp(backends[k], sets[k].ops[i], 5); // warm-up (compiles)
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const order = (r + i) % 2 === 0 ? roots.map((_, k) => k) : roots.map((_, k) => roots.length - 1 - k);
    for (const k of order) times[i][k].push(await timeOp(backends[k], sets[k].ops[i], reps));
  }
}
const width = Math.max(...names.map((n) => n.length));
const cols = (xs: string[]): string => xs.map((x) => x.padStart(12)).join(' ');
const tags = roots.map((r) => r.slice(-10));
console.log(`${'op (us per call, medians)'.padEnd(width)} ${cols(tags.map((t) => `cpu ${t}`))} ${cols(tags.map((t) => `wall ${t}`))}  cpu ratio`);
const totals = roots.map(() => ({ cpu: 0, wall: 0 }));
for (let i = 0; i < names.length; i++) {
  const cpu = times[i].map((t) => median(t.map((x) => x.cpuUs)));
  const wall = times[i].map((t) => median(t.map((x) => x.wallUs)));
  if (sets[0].ops[i].reference !== true) {
    cpu.forEach((c, k) => (totals[k].cpu += c));
    wall.forEach((w, k) => (totals[k].wall += w));
  }
  const ratios = times[i].slice(1).map((t) => median(t.map((x, j) => x.cpuUs / times[i][0][j].cpuUs)).toFixed(2));
  console.log(`${names[i].padEnd(width)} ${cols(cpu.map((c) => c.toFixed(1)))} ${cols(wall.map((w) => w.toFixed(1)))}  ${ratios.join(' ')}`);
}
console.log(`${'sum (the update\'s ops)'.padEnd(width)} ${cols(totals.map((t) => t.cpu.toFixed(1)))} ${cols(totals.map((t) => t.wall.toFixed(1)))}`);
for (const s of sets) s.dispose();
for (const b of backends) b.destroy();
process.exit(0);
