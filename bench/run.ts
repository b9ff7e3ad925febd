/**
 * `npm run bench [-- --only cpu,envs] [-- --out file.json]`: runs every suite in bench/suites and
 * prints one JSON object on stdout (progress goes to stderr). Suites in OPT_IN are long and run
 * only when named in --only (`npm run bench -- --only train-e2e`).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { detectWasmSupport } from '../src/backend/wasm/features.js';
import { enableRelaxedSimdInNode } from '../src/backend/wasm/node-relaxed-simd.js';
import type { Suite } from './harness.js';

// A Node entry point: relaxed-SIMD FMA for the CPU backend's WASM kernels (Node 20 has it behind a V8 flag).
enableRelaxedSimdInNode();

const args = process.argv.slice(2);
const argValue = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = argValue('--only')?.split(',');
/** Suites too long for every bench run: they run only when --only names them. */
const OPT_IN = ['train-e2e', 'page-dqn-update', 'page-train', 'page-pqn-env-on'];
const outFile = argValue('--out');

const suiteDir = new URL('./suites/', import.meta.url);
const names = readdirSync(suiteDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((n) => (only ? only.includes(n) : !OPT_IN.includes(n)))
  .sort();

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${platform()}-${arch()}`,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  wasm: detectWasmSupport(),
};
for (const name of names) {
  process.stderr.write(`bench: ${name}...\n`);
  const mod = (await import(new URL(`${name}.ts`, suiteDir).href)) as { default: Suite };
  const start = performance.now();
  try {
    results[name] = await mod.default();
  } catch (error) {
    results[name] = { error: error instanceof Error ? error.message : String(error) };
  }
  process.stderr.write(`bench: ${name} done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
}
const json = JSON.stringify(results, null, 2);
if (outFile) writeFileSync(outFile, json + '\n');
process.stdout.write(json + '\n');
