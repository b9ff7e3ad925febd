/**
 * What the runtime's WebAssembly offers, by validating two tiny modules (no compilation, no
 * instance): SIMD128 (one function returning v128.const) and relaxed SIMD (f32x4.relaxed_madd).
 * Node 20 has SIMD128; relaxed SIMD only with V8's --experimental-wasm-relaxed-simd (see
 * node-relaxed-simd.ts). Chrome 114+ has both.
 */

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module with one function of type `params -> v128` whose body is `code`. */
function moduleWith(paramCount: number, code: number[]): Uint8Array<ArrayBuffer> {
  const type = [0x60, paramCount, ...new Array<number>(paramCount).fill(0x7b), 0x01, 0x7b];
  const body = [0x00, ...code, 0x0b];
  return new Uint8Array([
    ...HEADER,
    0x01, type.length + 1, 0x01, ...type,
    0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
}

/** () -> v128: v128.const 0. */
const SIMD_PROBE = moduleWith(0, [0xfd, 0x0c, ...new Array<number>(16).fill(0)]);
/** (v128, v128, v128) -> v128: f32x4.relaxed_madd of the three. */
const RELAXED_PROBE = moduleWith(3, [0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02]);

export interface WasmSupport {
  /** WebAssembly itself. */
  wasm: boolean;
  /** Fixed-width SIMD (v128). */
  simd: boolean;
  /** Relaxed SIMD (f32x4.relaxed_madd: FMA where the CPU has it). */
  relaxedSimd: boolean;
}

export function detectWasmSupport(): WasmSupport {
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const simd = wasm && WebAssembly.validate(SIMD_PROBE);
  return { wasm, simd, relaxedSimd: simd && WebAssembly.validate(RELAXED_PROBE) };
}

/** Thrown when WebAssembly SIMD is missing: the caller falls back to the plain TypeScript kernels. */
export class WasmSimdUnavailableError extends Error {
  override name = 'WasmSimdUnavailableError';
  /** @param context what needed SIMD (before the reason) and what to do instead (after it). */
  constructor(support: WasmSupport, context?: { what: string; instead: string }) {
    const reason = support.wasm ? 'WebAssembly SIMD (v128) is not available in this runtime' : 'WebAssembly is not available in this runtime';
    super(context === undefined ? reason : `${context.what}: ${reason}; ${context.instead}`);
  }
}
