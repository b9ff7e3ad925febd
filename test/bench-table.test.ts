/**
 * The README's benchmark tables (scripts/bench-table.ts): generated from the bench JSON committed
 * beside them (bench/results.json), with the machine and the date, and rendered with dashes for
 * suites a run did not have.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, renderBenchTables, replaceBenchTables } from '../scripts/bench-table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(ROOT + path, 'utf8');

describe('the README benchmark tables', () => {
  it('are exactly what npm run bench:readme makes of bench/results.json', () => {
    const readme = read('README.md');
    const results = JSON.parse(read('bench/results.json')) as { date: string; cpuModel: string };
    expect(replaceBenchTables(readme, renderBenchTables(results))).toBe(readme);
    const block = readme.slice(readme.indexOf(BEGIN_MARKER), readme.indexOf(END_MARKER));
    expect(block).toContain(`Measured on ${results.date.slice(0, 10)}: ${results.cpuModel}`);
  });

  it('show every CPU kernel variant with its NumPy ratio, and a dash for what a run lacked', () => {
    const results = {
      date: '2030-01-02T03:04:05.000Z',
      cpuModel: 'Test CPU',
      cores: 2,
      node: 'v20.0.0',
      platform: 'linux-x64',
      'dqn-update': {
        numpy: 'python3 has no NumPy',
        '4-64-64-2': { 'cpu wasm-simd128': { updatesPerSecond: 12345.6 }, 'cpu js': { updatesPerSecond: 1234 } },
        '4-256-256-2': { 'cpu wasm-simd128': { updatesPerSecond: 987.65, overNumpy: 0.8123 }, 'cpu js': { updatesPerSecond: 99.87 } },
      },
      cpu: { 'wasm-simd128': { matmulGflops: { '64^3': 50.1, '256^3': 52, '1024^3': 48.26 }, matmulGflopsTransposed: { 'a^T b 256^3': 51, 'a b^T 256^3': 49, 'a^T b^T 256^3': 47 } } },
    };
    const tables = renderBenchTables(results);
    expect(tables).toContain('Measured on 2030-01-02: Test CPU, 2 cores, Node v20.0.0 (linux-x64).');
    expect(tables).toContain('| network | CPU, WASM SIMD128 | CPU, TypeScript | WebGPU | NumPy |');
    expect(tables).toContain('| 4-64-64-2 | 12,346 | 1,234 | – | – |');
    expect(tables).toContain('| 4-256-256-2 | 988 (0.81×) | 99.9 | – | – |');
    expect(tables).toContain('| 256³ aᵀ·b / a·bᵀ / aᵀ·bᵀ | 51 / 49 / 47 | – | – |');
    expect(tables).toContain('| 1024³ a·b | 48.3 | – | – |');
    expect(tables).not.toContain('WASM SIMD + FMA');
  });

  it('show the PQN step and the fresh-network DQN ratios when a run has them, and nothing of them otherwise', () => {
    const base = { date: '2030-01-02T03:04:05.000Z', cpuModel: 'Test CPU', cores: 2, node: 'v20.0.0', platform: 'linux-x64' };
    const results = {
      ...base,
      'dqn-update': {
        '4-64-64-2': { 'cpu wasm-simd128': { updatesPerSecond: 5000, overNumpy: 0.9 }, fresh: { 'cpu wasm-simd128': { overNumpy: 0.7 }, webgpu: { overNumpy: 0.25 } } },
        '4-256-256-2': { 'cpu wasm-simd128': { updatesPerSecond: 900, overNumpy: 1.4 }, fresh: { 'cpu wasm-simd128': { overNumpy: 0.72 } } },
      },
      'pqn-update': {
        numpy: { numpy: '2.4.6' },
        '4-256-256-2': {
          'cpu wasm-simd128': { updatesPerSecond: 812.3, overNumpy: 0.8412 },
          webgpu: { updatesPerSecond: 89.6, overNumpy: 0.0921, countersPerUpdate: { dispatches: 19 } },
          numpy: { updatesPerSecond: 973 },
        },
        '4-120-84-2': { 'cpu wasm-simd128': { updatesPerSecond: 1292, overNumpy: 0.4404 }, webgpu: { updatesPerSecond: 157.8, countersPerUpdate: { dispatches: 18 } }, numpy: { updatesPerSecond: 2933 } },
      },
    };
    const tables = renderBenchTables(results);
    expect(tables).toContain('The same ratios with fresh networks in every block (`BENCH_DQN_REGIME`; columns in the table\'s order): 4-64-64-2 0.70× / 0.25×; 4-256-256-2 0.72× / –.');
    expect(tables).toContain('**PQN minibatch step** (`pqn-update`: `PqnAgent.update`, LayerNorm, batch 128, a fresh network in every block; steps/s, and × NumPy 2.4.6 on one thread');
    expect(tables).toContain('| 4-256-256-2 | 812 (0.84×) | 89.6 (0.09×) | 973 |');
    expect(tables).toContain('| 4-120-84-2 | 1,292 (0.44×) | 158 | 2,933 |');
    expect(tables).toContain('WebGPU dispatches per step: 19 (4-256-256-2), 18 (4-120-84-2).');
    const without = renderBenchTables({ ...base, 'dqn-update': { '4-64-64-2': { 'cpu js': { updatesPerSecond: 10 } } } });
    expect(without).not.toContain('PQN');
    expect(without).not.toContain('fresh networks');
  });

  it('replace only the block between the markers, and say so when there is none', () => {
    const readme = `before\n${BEGIN_MARKER}\nold\n${END_MARKER}\nafter\n`;
    expect(replaceBenchTables(readme, 'new')).toBe(`before\n${BEGIN_MARKER}\nnew\n${END_MARKER}\nafter\n`);
    expect(() => replaceBenchTables('no markers', 'new')).toThrow(/README\.md: no '<!-- bench-table:begin/);
  });
});
