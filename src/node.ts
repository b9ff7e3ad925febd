/**
 * Node-only additions to the public API: atomic file writes, the metrics.csv appender, and
 * loadEnvModule (imports a custom env module by path or package and registers it: docs/custom-envs.md),
 * enableRelaxedSimdInNode (opts a Node 20 process into relaxed-SIMD FMA for the CPU backend's WASM
 * kernels; call it once before creating a CpuBackend).
 */
export * from './io/node/index.js';
export * from './metrics/node/index.js';
export { enableRelaxedSimdInNode } from './backend/wasm/node-relaxed-simd.js';
export { loadEnvModule, resolveEnvModule, type ResolvedEnvModule } from './envs/node/env-module.js';
