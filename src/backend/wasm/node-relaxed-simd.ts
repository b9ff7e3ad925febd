/**
 * Node only: turns on V8's relaxed SIMD (FMA) for modules compiled from now on. Node 20's V8 has
 * it behind --experimental-wasm-relaxed-simd; Node 22+ and Chrome have it by default. The flag is
 * process-wide, so this belongs in an entry point (the CLI, a bench, a test), never in library code
 * that a host application imports. Returns whether relaxed SIMD is available afterwards.
 */
import { setFlagsFromString } from 'node:v8';
import { detectWasmSupport } from './features.js';

export function enableRelaxedSimdInNode(): boolean {
  if (!detectWasmSupport().relaxedSimd) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return detectWasmSupport().relaxedSimd;
}
