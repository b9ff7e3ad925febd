/**
 * The GEMM emitter: out (m, n) (+)= op(a) (m, k) op(b) (k, n) for the four transpose cases, as a
 * register-blocked SIMD128 kernel in the GotoBLAS shape.
 *
 * - k is cut into blocks of KC, n into blocks of NC. Each KC x NC block of op(b) is packed into a
 *   scratch area as NC / 8 panels of KC x 8 floats (zero-padded at the right edge), so the inner
 *   loop reads op(b) as one contiguous stream whatever its transpose (and a row stride of 4 KiB
 *   never aliases in L1).
 * - The micro-kernel computes MR x 8 outputs (4 x 8: eight f32x4 accumulators) per step of p:
 *   two vector loads of the packed panel, MR broadcast loads of op(a), 2 MR multiply-adds
 *   (relaxed-SIMD FMA where the runtime has it). op(a) is read in place: for a^T its MR rows are
 *   adjacent (immediate offsets), otherwise each row has its own pointer.
 * - The first k block overwrites out (unless accumulating); later ones add to it. After the last
 *   k block, an optional epilogue runs on each finished MR x nc block while it is still in L1
 *   (bias + activation, activation derivative...).
 *
 * Partial edges: rows are handled by MR-1 smaller copies of the micro-kernel; a partial last
 * panel computes all 8 columns (the padding is zero) and stores only the valid ones.
 */
import type { F32, FuncRef, FunctionBuilder, I32, Local, ModuleBuilder } from '../assembler.js';
import { GEMM_KC, GEMM_MR, GEMM_NC, GEMM_NR, PACK_A_PTR, PACK_PTR, TILE_PTR } from '../memory-layout.js';

export interface PackFunctions {
  /** Packs op(b) = b (k, n): args b, n, p0, kc, j0, nc. */
  packN: FuncRef<null>;
  /** Packs op(b) = b^T with b stored (n, k): args b, k, p0, kc, j0, nc. */
  packT: FuncRef<null>;
}

/** The GEMM's arguments, as i32 locals of the emitting function (byte addresses, element counts, 0/1 flags). */
export interface GemmLocals {
  a: Local<'i32'>;
  b: Local<'i32'>;
  out: Local<'i32'>;
  m: Local<'i32'>;
  k: Local<'i32'>;
  n: Local<'i32'>;
  transA: Local<'i32'>;
  transB: Local<'i32'>;
  accumulate: Local<'i32'>;
}

/** Where an epilogue runs: rows [i, i + rows) and columns [j0, j0 + cols) of out are final. */
export interface EpilogueBlock {
  /** Byte address of out(i, j0). */
  ptr: Local<'i32'>;
  /** Rows in the block (a compile-time count: the emitter copies the epilogue per row count). */
  rows: number;
  /** Columns in the block (runtime). */
  cols: Local<'i32'>;
  /** Byte stride between rows of out (n * 4). */
  rowStride: Local<'i32'>;
  /** First row and column of the block. */
  i: Local<'i32'>;
  j0: Local<'i32'>;
}

export type Epilogue = (f: FunctionBuilder, block: EpilogueBlock) => void;

/** Emits the two packing functions the GEMM calls once per KC x NC block. */
export function emitPackFunctions(mod: ModuleBuilder): PackFunctions {
  const packN = mod.func('pack_b_n', { b: 'i32', n: 'i32', p0: 'i32', kc: 'i32', j0: 'i32', nc: 'i32' }, null, (f) => {
    const { b, n, p0, kc, j0, nc } = f.params;
    const { i32, v128 } = f;
    const dst = f.local('i32');
    const src = f.local('i32');
    const srcStride = f.local('i32');
    const q = f.local('i32');
    const p = f.local('i32');
    const c = f.local('i32');
    const w = f.local('i32');
    f.set(dst, i32.const(PACK_PTR));
    f.set(srcStride, i32.shl(f.get(n), i32.const(2)));
    f.forRange(q, () => i32.const(0), () => f.get(nc), GEMM_NR, () => {
      // src = b + (p0 n + j0 + q) * 4
      f.set(src, i32.add(f.get(b), i32.shl(i32.add(i32.mul(f.get(p0), f.get(n)), i32.add(f.get(j0), f.get(q))), i32.const(2))));
      f.set(w, i32.sub(f.get(nc), f.get(q)));
      f.if(
        i32.ge_s(f.get(w), i32.const(GEMM_NR)),
        () => {
          f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
            v128.store(f.get(dst), v128.load(f.get(src)));
            v128.store(f.get(dst), v128.load(f.get(src), 16), 16);
            f.set(dst, i32.add(f.get(dst), i32.const(32)));
            f.set(src, i32.add(f.get(src), f.get(srcStride)));
          });
        },
        () => {
          f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
            v128.store(f.get(dst), v128.i32x4(0));
            v128.store(f.get(dst), v128.i32x4(0), 16);
            f.forRange(c, () => i32.const(0), () => f.get(w), 1, () => {
              const off = () => i32.shl(f.get(c), i32.const(2));
              f.f32.store(i32.add(f.get(dst), off()), f.f32.load(i32.add(f.get(src), off())));
            });
            f.set(dst, i32.add(f.get(dst), i32.const(32)));
            f.set(src, i32.add(f.get(src), f.get(srcStride)));
          });
        },
      );
    });
  }, false);

  const packT = mod.func('pack_b_t', { b: 'i32', k: 'i32', p0: 'i32', kc: 'i32', j0: 'i32', nc: 'i32' }, null, (f) => {
    const { b, k, p0, kc, j0, nc } = f.params;
    const { i32, v128 } = f;
    const panel = f.local('i32');
    const dst = f.local('i32');
    const src = f.local('i32');
    const rowStride = f.local('i32');
    const q = f.local('i32');
    const p = f.local('i32');
    const c = f.local('i32');
    const w = f.local('i32');
    const r0 = f.local('v128');
    const r1 = f.local('v128');
    const r2 = f.local('v128');
    const r3 = f.local('v128');
    const t0 = f.local('v128');
    const t1 = f.local('v128');
    const t2 = f.local('v128');
    const t3 = f.local('v128');
    const kc4 = f.local('i32');
    f.set(panel, i32.const(PACK_PTR));
    f.set(rowStride, i32.shl(f.get(k), i32.const(2)));
    f.set(kc4, i32.sub(f.get(kc), i32.const(3)));
    f.forRange(q, () => i32.const(0), () => f.get(nc), GEMM_NR, () => {
      f.set(w, i32.sub(f.get(nc), f.get(q)));
      f.if(
        i32.ge_s(f.get(w), i32.const(GEMM_NR)),
        () => {
          // Two 4 x 4 transposes per 4 steps of p: columns c0..c0+3 of the panel from 4 rows of b.
          for (const half of [0, 1]) {
            f.set(src, i32.add(f.get(b), i32.shl(i32.add(i32.mul(i32.add(f.get(j0), i32.add(f.get(q), i32.const(4 * half))), f.get(k)), f.get(p0)), i32.const(2))));
            f.set(dst, i32.add(f.get(panel), i32.const(16 * half)));
            f.set(p, i32.const(0));
            f.if(i32.lt_s(f.get(p), f.get(kc4)), () => {
              f.loop((top) => {
                const row = (r: number): I32 => i32.add(f.get(src), i32.mul(f.get(rowStride), i32.const(r)));
                f.set(r0, v128.load(f.get(src)));
                f.set(r1, v128.load(row(1)));
                f.set(r2, v128.load(row(2)));
                f.set(r3, v128.load(row(3)));
                // r_c = [b(c, p..p+3)]; want out_p = [b(0..3, p)].
                f.set(t0, f.i32x4.shuffle(f.get(r0), f.get(r1), 0, 4, 1, 5)); // b00 b10 b01 b11
                f.set(t1, f.i32x4.shuffle(f.get(r2), f.get(r3), 0, 4, 1, 5)); // b20 b30 b21 b31
                f.set(t2, f.i32x4.shuffle(f.get(r0), f.get(r1), 2, 6, 3, 7)); // b02 b12 b03 b13
                f.set(t3, f.i32x4.shuffle(f.get(r2), f.get(r3), 2, 6, 3, 7)); // b22 b32 b23 b33
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t0), f.get(t1), 0, 1, 4, 5));
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t0), f.get(t1), 2, 3, 6, 7), 32);
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t2), f.get(t3), 0, 1, 4, 5), 64);
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t2), f.get(t3), 2, 3, 6, 7), 96);
                f.set(src, i32.add(f.get(src), i32.const(16)));
                f.set(dst, i32.add(f.get(dst), i32.const(128)));
                f.brIf(top, i32.lt_s(f.tee(p, i32.add(f.get(p), i32.const(4))), f.get(kc4)));
              });
            });
            // Remaining p (fewer than 4): scalar.
            f.forRange(p, () => f.get(p), () => f.get(kc), 1, () => {
              for (let cc = 0; cc < 4; cc++) {
                f.f32.store(f.get(dst), f.f32.load(i32.add(f.get(src), i32.mul(f.get(rowStride), i32.const(cc)))), 4 * cc);
              }
              f.set(src, i32.add(f.get(src), i32.const(4)));
              f.set(dst, i32.add(f.get(dst), i32.const(32)));
            });
          }
        },
        () => {
          // Partial panel: zero it, then copy the w valid columns one by one.
          f.set(dst, f.get(panel));
          f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
            v128.store(f.get(dst), v128.i32x4(0));
            v128.store(f.get(dst), v128.i32x4(0), 16);
            f.set(dst, i32.add(f.get(dst), i32.const(32)));
          });
          f.forRange(c, () => i32.const(0), () => f.get(w), 1, () => {
            f.set(src, i32.add(f.get(b), i32.shl(i32.add(i32.mul(i32.add(f.get(j0), i32.add(f.get(q), f.get(c))), f.get(k)), f.get(p0)), i32.const(2))));
            f.set(dst, i32.add(f.get(panel), i32.shl(f.get(c), i32.const(2))));
            f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
              f.f32.store(f.get(dst), f.f32.load(f.get(src)));
              f.set(src, i32.add(f.get(src), i32.const(4)));
              f.set(dst, i32.add(f.get(dst), i32.const(32)));
            });
          });
        },
      );
      f.set(panel, i32.add(f.get(panel), i32.shl(f.get(kc), i32.const(5))));
    });
  }, false);
  return { packN, packT };
}

/**
 * Emits the packing of one MR-row micro-panel of op(a) into PACK_A: dst[p * MR + r] = op(a)(i + r, p0 + p)
 * for r < mr (rows beyond mr are left as they are: the micro-kernel for mr rows never reads them).
 * pack_a_n reads rows of a (stride rowStride bytes, p contiguous); pack_a_t reads a^T (the rows of
 * op(a) adjacent, stride stepStride bytes between steps of p).
 */
export interface PackAFunctions {
  packAN: FuncRef<null>;
  packAT: FuncRef<null>;
}

export function emitPackAFunctions(mod: ModuleBuilder): PackAFunctions {
  const packAN = mod.func('pack_a_n', { src: 'i32', rowStride: 'i32', kc: 'i32', mr: 'i32' }, null, (f) => {
    const { src, rowStride, kc, mr } = f.params;
    const { i32, v128 } = f;
    const p = f.local('i32');
    const r = f.local('i32');
    const s0 = f.local('i32');
    const dst = f.local('i32');
    const kc4 = f.local('i32');
    const rows = Array.from({ length: 4 }, () => f.local('v128'));
    const t = Array.from({ length: 4 }, () => f.local('v128'));
    f.set(kc4, i32.sub(f.get(kc), i32.const(3)));
    f.if(
      i32.eq(f.get(mr), i32.const(GEMM_MR)),
      () => {
        // Full micro-panel: 4 x 4 transposes for each group of 4 rows, scalar for the rest.
        for (let g0 = 0; g0 < GEMM_MR; g0 += 4) {
          const groupRows = Math.min(4, GEMM_MR - g0);
          f.set(s0, i32.add(f.get(src), i32.mul(f.get(rowStride), i32.const(g0))));
          f.set(dst, i32.const(PACK_A_PTR + 4 * g0));
          f.set(p, i32.const(0));
          if (groupRows === 4) {
            f.if(i32.lt_s(f.get(p), f.get(kc4)), () => {
              f.loop((top) => {
                for (let c = 0; c < 4; c++) f.set(rows[c], v128.load(i32.add(f.get(s0), i32.mul(f.get(rowStride), i32.const(c)))));
                f.set(t[0], f.i32x4.shuffle(f.get(rows[0]), f.get(rows[1]), 0, 4, 1, 5));
                f.set(t[1], f.i32x4.shuffle(f.get(rows[2]), f.get(rows[3]), 0, 4, 1, 5));
                f.set(t[2], f.i32x4.shuffle(f.get(rows[0]), f.get(rows[1]), 2, 6, 3, 7));
                f.set(t[3], f.i32x4.shuffle(f.get(rows[2]), f.get(rows[3]), 2, 6, 3, 7));
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t[0]), f.get(t[1]), 0, 1, 4, 5));
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t[0]), f.get(t[1]), 2, 3, 6, 7), 4 * GEMM_MR);
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t[2]), f.get(t[3]), 0, 1, 4, 5), 8 * GEMM_MR);
                v128.store(f.get(dst), f.i32x4.shuffle(f.get(t[2]), f.get(t[3]), 2, 3, 6, 7), 12 * GEMM_MR);
                f.set(s0, i32.add(f.get(s0), i32.const(16)));
                f.set(dst, i32.add(f.get(dst), i32.const(16 * GEMM_MR)));
                f.brIf(top, i32.lt_s(f.tee(p, i32.add(f.get(p), i32.const(4))), f.get(kc4)));
              });
            });
          }
          f.forRange(p, () => f.get(p), () => f.get(kc), 1, () => {
            for (let c = 0; c < groupRows; c++) {
              f.f32.store(f.get(dst), f.f32.load(i32.add(f.get(s0), i32.mul(f.get(rowStride), i32.const(c)))), 4 * c);
            }
            f.set(s0, i32.add(f.get(s0), i32.const(4)));
            f.set(dst, i32.add(f.get(dst), i32.const(4 * GEMM_MR)));
          });
        }
      },
      () => {
        f.forRange(r, () => i32.const(0), () => f.get(mr), 1, () => {
          f.set(s0, i32.add(f.get(src), i32.mul(f.get(rowStride), f.get(r))));
          f.set(dst, i32.add(i32.const(PACK_A_PTR), i32.shl(f.get(r), i32.const(2))));
          f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
            f.f32.store(f.get(dst), f.f32.load(f.get(s0)));
            f.set(s0, i32.add(f.get(s0), i32.const(4)));
            f.set(dst, i32.add(f.get(dst), i32.const(4 * GEMM_MR)));
          });
        });
      },
    );
  }, false);

  const packAT = mod.func('pack_a_t', { src: 'i32', stepStride: 'i32', kc: 'i32', mr: 'i32' }, null, (f) => {
    const { src, stepStride, kc, mr } = f.params;
    const { i32, v128 } = f;
    const p = f.local('i32');
    const r = f.local('i32');
    const s0 = f.local('i32');
    const dst = f.local('i32');
    f.set(s0, f.get(src));
    f.set(dst, i32.const(PACK_A_PTR));
    f.if(
      i32.eq(f.get(mr), i32.const(GEMM_MR)),
      () => {
        f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
          let r0 = 0;
          for (; r0 + 4 <= GEMM_MR; r0 += 4) v128.store(f.get(dst), v128.load(f.get(s0), 4 * r0), 4 * r0);
          for (; r0 < GEMM_MR; r0++) f.f32.store(f.get(dst), f.f32.load(f.get(s0), 4 * r0), 4 * r0);
          f.set(s0, i32.add(f.get(s0), f.get(stepStride)));
          f.set(dst, i32.add(f.get(dst), i32.const(4 * GEMM_MR)));
        });
      },
      () => {
        f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
          f.forRange(r, () => i32.const(0), () => f.get(mr), 1, () => {
            const off = (): I32 => i32.shl(f.get(r), i32.const(2));
            f.f32.store(i32.add(f.get(dst), off()), f.f32.load(i32.add(f.get(s0), off())));
          });
          f.set(s0, i32.add(f.get(s0), f.get(stepStride)));
          f.set(dst, i32.add(f.get(dst), i32.const(4 * GEMM_MR)));
        });
      },
    );
  }, false);
  return { packAN, packAT };
}

/** Locals the driver and its micro-kernels share. */
interface GemmState {
  p0: Local<'i32'>;
  kc: Local<'i32'>;
  j0: Local<'i32'>;
  nc: Local<'i32'>;
  i: Local<'i32'>;
  mEnd: Local<'i32'>;
  q: Local<'i32'>;
  aRS: Local<'i32'>;
  aCS: Local<'i32'>;
  outRS: Local<'i32'>;
  add: Local<'i32'>;
  last: Local<'i32'>;
  aBlk: Local<'i32'>;
  oBlk: Local<'i32'>;
}

export interface GemmHelpers extends PackFunctions, PackAFunctions {
  /** micro[mr - 1]: the micro-kernel for mr rows. */
  micro: FuncRef<null>[];
  /** gemv(a, b, out, k, n, add): the m = 1, op(b) = b case without packing. */
  gemv: FuncRef<null>;
}

/**
 * out (1, n) (+)= a (k) b (k, n), b read in place: the batch-1 forward pass (acting), where packing
 * b would cost as much as the product. 32 columns (eight accumulators) per sweep over k, then 4,
 * then single columns.
 */
export function emitGemv(mod: ModuleBuilder): FuncRef<null> {
  return mod.func('gemv', { a: 'i32', b: 'i32', out: 'i32', k: 'i32', n: 'i32', add: 'i32' }, null, (f) => {
    const { a, b, out, k, n, add } = f.params;
    const { i32, v128, f32x4, f32 } = f;
    const j = f.local('i32');
    const p = f.local('i32');
    const bp = f.local('i32');
    const ap = f.local('i32');
    const rowBytes = f.local('i32');
    const end = f.local('i32');
    const av = f.local('v128');
    const acc = Array.from({ length: 8 }, () => f.local('v128'));
    const s = f.local('f32');
    f.set(rowBytes, i32.shl(f.get(n), i32.const(2)));
    const sweep = (vectors: number): void => {
      for (let h = 0; h < vectors; h++) f.set(acc[h], v128.i32x4(0));
      f.set(bp, i32.add(f.get(b), i32.shl(f.get(j), i32.const(2))));
      f.set(ap, f.get(a));
      f.forRange(p, () => i32.const(0), () => f.get(k), 1, () => {
        f.set(av, v128.load32_splat(f.get(ap)));
        for (let h = 0; h < vectors; h++) f.set(acc[h], f.madd(f.get(av), v128.load(f.get(bp), 16 * h), () => f.get(acc[h])));
        f.set(ap, i32.add(f.get(ap), i32.const(4)));
        f.set(bp, i32.add(f.get(bp), f.get(rowBytes)));
      });
      const dst = (): I32 => i32.add(f.get(out), i32.shl(f.get(j), i32.const(2)));
      f.if(
        f.get(add),
        () => {
          for (let h = 0; h < vectors; h++) v128.store(dst(), f32x4.add(v128.load(dst(), 16 * h), f.get(acc[h])), 16 * h);
        },
        () => {
          for (let h = 0; h < vectors; h++) v128.store(dst(), f.get(acc[h]), 16 * h);
        },
      );
    };
    f.set(end, i32.sub(f.get(n), i32.const(31)));
    f.forRange(j, () => i32.const(0), () => f.get(end), 32, () => sweep(8));
    f.set(end, i32.sub(f.get(n), i32.const(3)));
    f.forRange(j, () => f.get(j), () => f.get(end), 4, () => sweep(1));
    f.forRange(j, () => f.get(j), () => f.get(n), 1, () => {
      f.set(s, f32.const(0));
      f.set(bp, i32.add(f.get(b), i32.shl(f.get(j), i32.const(2))));
      f.set(ap, f.get(a));
      f.forRange(p, () => i32.const(0), () => f.get(k), 1, () => {
        f.set(s, f32.add(f.get(s), f32.mul(f32.load(f.get(ap)), f32.load(f.get(bp)))));
        f.set(ap, i32.add(f.get(ap), i32.const(4)));
        f.set(bp, i32.add(f.get(bp), f.get(rowBytes)));
      });
      const dst = (): I32 => i32.add(f.get(out), i32.shl(f.get(j), i32.const(2)));
      f.if(f.get(add), () => f.set(s, f32.add(f.get(s), f32.load(dst()))));
      f32.store(dst(), f.get(s));
    });
  }, false);
}

/**
 * Emits the whole GEMM inline into `f`, reading its arguments from `g`. Requires m, n >= 1 and
 * k >= 0 (k = 0 gives out = 0, or leaves it unchanged when accumulating).
 */
export function emitGemm(f: FunctionBuilder, g: GemmLocals, pack: GemmHelpers, epilogue?: Epilogue): void {
  const { i32 } = f;
  const s: GemmState = {
    p0: f.local('i32'),
    kc: f.local('i32'),
    j0: f.local('i32'),
    nc: f.local('i32'),
    i: f.local('i32'),
    mEnd: f.local('i32'),
    q: f.local('i32'),
    aRS: f.local('i32'),
    aCS: f.local('i32'),
    outRS: f.local('i32'),
    add: f.local('i32'),
    last: f.local('i32'),
    aBlk: f.local('i32'),
    oBlk: f.local('i32'),
  };
  // Strides of op(a) in bytes: between rows i and between steps of p.
  f.set(s.aRS, f.select(i32.const(4), i32.shl(f.get(g.k), i32.const(2)), f.get(g.transA)));
  f.set(s.aCS, f.select(i32.shl(f.get(g.m), i32.const(2)), i32.const(4), f.get(g.transA)));
  f.set(s.outRS, i32.shl(f.get(g.n), i32.const(2)));
  f.set(s.mEnd, i32.sub(f.get(g.m), i32.const(GEMM_MR - 1)));
  // One row and op(b) = b: the GEMV path reads b in place (for m = 1, op(a) is the same row vector
  // whether a is transposed or not).
  f.if(
    i32.and(i32.eq(f.get(g.m), i32.const(1)), i32.eqz(f.get(g.transB))),
    () => {
      f.call(pack.gemv, f.get(g.a), f.get(g.b), f.get(g.out), f.get(g.k), f.get(g.n), f.get(g.accumulate));
      if (epilogue) {
        f.set(s.i, i32.const(0));
        f.set(s.j0, i32.const(0));
        f.set(s.oBlk, f.get(g.out));
        f.set(s.nc, f.get(g.n));
        epilogue(f, { ptr: s.oBlk, rows: 1, cols: s.nc, rowStride: s.outRS, i: s.i, j0: s.j0 });
      }
    },
    () => {
      f.set(s.p0, i32.const(0));
      f.loop((pTop) => {
        f.set(s.kc, i32.sub(f.get(g.k), f.get(s.p0)));
        f.if(i32.gt_s(f.get(s.kc), i32.const(GEMM_KC)), () => f.set(s.kc, i32.const(GEMM_KC)));
        f.set(s.add, i32.or(f.get(g.accumulate), i32.gt_s(f.get(s.p0), i32.const(0))));
        f.set(s.last, i32.ge_s(i32.add(f.get(s.p0), f.get(s.kc)), f.get(g.k)));
        f.set(s.j0, i32.const(0));
        f.loop((jTop) => {
          f.set(s.nc, i32.sub(f.get(g.n), f.get(s.j0)));
          f.if(i32.gt_s(f.get(s.nc), i32.const(GEMM_NC)), () => f.set(s.nc, i32.const(GEMM_NC)));
          f.if(
            f.get(g.transB),
            () => f.call(pack.packT, f.get(g.b), f.get(g.k), f.get(s.p0), f.get(s.kc), f.get(s.j0), f.get(s.nc)),
            () => f.call(pack.packN, f.get(g.b), f.get(g.n), f.get(s.p0), f.get(s.kc), f.get(s.j0), f.get(s.nc)),
          );
          emitRowBlocks(f, g, s, pack, epilogue);
          f.brIf(jTop, i32.lt_s(f.tee(s.j0, i32.add(f.get(s.j0), i32.const(GEMM_NC))), f.get(g.n)));
        });
        f.brIf(pTop, i32.lt_s(f.tee(s.p0, i32.add(f.get(s.p0), i32.const(GEMM_KC))), f.get(g.k)));
      });
    },
  );
}

/** All row blocks of one (k block, column block): full MR blocks, then the remainder. */
function emitRowBlocks(f: FunctionBuilder, g: GemmLocals, s: GemmState, pack: GemmHelpers, epilogue?: Epilogue): void {
  const { i32 } = f;
  // aBlk = a + p0 * aCS (row 0 of op(a) at step p0); oBlk = out + j0 * 4.
  f.set(s.aBlk, i32.add(f.get(g.a), i32.mul(f.get(s.p0), f.get(s.aCS))));
  f.set(s.oBlk, i32.add(f.get(g.out), i32.shl(f.get(s.j0), i32.const(2))));
  const rowBlock = (mr: number): void => {
    f.if(
      f.get(g.transA),
      () => f.call(pack.packAT, f.get(s.aBlk), f.get(s.aCS), f.get(s.kc), i32.const(mr)),
      () => f.call(pack.packAN, f.get(s.aBlk), f.get(s.aRS), f.get(s.kc), i32.const(mr)),
    );
    emitPanels(f, s, pack.micro[mr - 1]);
    if (epilogue) {
      f.if(f.get(s.last), () => epilogue(f, { ptr: s.oBlk, rows: mr, cols: s.nc, rowStride: s.outRS, i: s.i, j0: s.j0 }));
    }
  };
  f.forRange(s.i, () => i32.const(0), () => f.get(s.mEnd), GEMM_MR, () => {
    rowBlock(GEMM_MR);
    f.set(s.aBlk, i32.add(f.get(s.aBlk), i32.mul(f.get(s.aRS), i32.const(GEMM_MR))));
    f.set(s.oBlk, i32.add(f.get(s.oBlk), i32.mul(f.get(s.outRS), i32.const(GEMM_MR))));
  });
  // The loop leaves i at the first row not done (0 when m < MR: forRange sets it before testing).
  for (let mr = GEMM_MR - 1; mr >= 1; mr--) {
    f.if(i32.eq(i32.sub(f.get(g.m), f.get(s.i)), i32.const(mr)), () => rowBlock(mr));
  }
}

/** The panels of one row block: one micro-kernel call per 8-column panel (the last may be partial). */
function emitPanels(f: FunctionBuilder, s: GemmState, micro: FuncRef<null>): void {
  const { i32 } = f;
  f.forRange(s.q, () => i32.const(0), () => f.get(s.nc), GEMM_NR, () => {
    f.call(
      micro,
      // Panel q / 8 of the packed block starts at PACK + (q / 8) kc 32 = PACK + q kc 4.
      i32.add(i32.const(PACK_PTR), i32.shl(i32.mul(f.get(s.q), f.get(s.kc)), i32.const(2))),
      f.get(s.kc),
      i32.add(f.get(s.oBlk), i32.shl(f.get(s.q), i32.const(2))),
      f.get(s.outRS),
      f.get(s.add),
      i32.sub(f.get(s.nc), f.get(s.q)),
    );
  });
}

/**
 * The micro-kernels, one function per row count mr = 1..MR: out tile (mr x min(ncols, 8)) (+)=
 * packed op(a) micro-panel (PACK_A) times one packed panel of op(b). A function of its own, not
 * inlined into the driver: measured in V8, the register allocator keeps the accumulators in
 * registers in a small function (40-50 GFLOP/s) but not inside the large driver (~25).
 */
export function emitMicroKernels(mod: ModuleBuilder): FuncRef<null>[] {
  const kernels: FuncRef<null>[] = [];
  for (let mr = 1; mr <= GEMM_MR; mr++) {
    kernels.push(
      mod.func(`gemm_micro_${mr}`, { pb: 'i32', kc: 'i32', out: 'i32', outRS: 'i32', add: 'i32', ncols: 'i32' }, null, (f) => emitMicro(f, mr), false),
    );
  }
  return kernels;
}

function emitMicro(f: FunctionBuilder<{ pb: 'i32'; kc: 'i32'; out: 'i32'; outRS: 'i32'; add: 'i32'; ncols: 'i32' }>, mr: number): void {
  const { pb, kc, out, outRS, add, ncols } = f.params;
  const { i32, v128, f32x4 } = f;
  const acc = Array.from({ length: mr }, () => [f.local('v128'), f.local('v128')]);
  const bv0 = f.local('v128');
  const bv1 = f.local('v128');
  const av = f.local('v128');
  const pa = f.local('i32');
  const p = f.local('i32');
  const orow = f.local('i32');
  const c = f.local('i32');
  f.set(pa, i32.const(PACK_A_PTR));
  // No unrolling: measured in V8, a 4x unrolled loop runs at ~25 GFLOP/s against ~40-50 for the plain one.
  f.forRange(p, () => i32.const(0), () => f.get(kc), 1, () => {
    f.set(bv0, v128.load(f.get(pb)));
    f.set(bv1, v128.load(f.get(pb), 16));
    for (let r = 0; r < mr; r++) {
      f.set(av, v128.load32_splat(f.get(pa), 4 * r));
      const [c0, c1] = acc[r];
      f.set(c0, f.madd(f.get(av), f.get(bv0), () => f.get(c0)));
      f.set(c1, f.madd(f.get(av), f.get(bv1), () => f.get(c1)));
    }
    f.set(pb, i32.add(f.get(pb), i32.const(32)));
    f.set(pa, i32.add(f.get(pa), i32.const(4 * GEMM_MR)));
  });
  f.set(orow, f.get(out));
  f.if(
    i32.ge_s(f.get(ncols), i32.const(GEMM_NR)),
    () => {
      const store = (accumulate: boolean): void => {
        for (let r = 0; r < mr; r++) {
          const [c0, c1] = acc[r];
          if (accumulate) {
            v128.store(f.get(orow), f32x4.add(v128.load(f.get(orow)), f.get(c0)));
            v128.store(f.get(orow), f32x4.add(v128.load(f.get(orow), 16), f.get(c1)), 16);
          } else {
            v128.store(f.get(orow), f.get(c0));
            v128.store(f.get(orow), f.get(c1), 16);
          }
          if (r + 1 < mr) f.set(orow, i32.add(f.get(orow), f.get(outRS)));
        }
      };
      f.if(f.get(add), () => store(true), () => store(false));
    },
    () => {
      // A partial panel: all 8 columns were computed (the padding is zero); store the valid ones.
      for (let r = 0; r < mr; r++) {
        v128.store(i32.const(TILE_PTR), f.get(acc[r][0]), 32 * r);
        v128.store(i32.const(TILE_PTR), f.get(acc[r][1]), 32 * r + 16);
      }
      for (let r = 0; r < mr; r++) {
        f.forRange(c, () => i32.const(0), () => f.get(ncols), 1, () => {
          const outAddr = (): I32 => i32.add(f.get(orow), i32.shl(f.get(c), i32.const(2)));
          const tile = (): F32 => f.f32.load(i32.add(i32.const(TILE_PTR + 32 * r), i32.shl(f.get(c), i32.const(2))));
          f.if(
            f.get(add),
            () => f.f32.store(outAddr(), f.f32.add(f.f32.load(outAddr()), tile())),
            () => f.f32.store(outAddr(), tile()),
          );
        });
        if (r + 1 < mr) f.set(orow, i32.add(f.get(orow), f.get(outRS)));
      }
    },
  );
}

/** The exported plain GEMM: matmul(a, b, out, m, k, n, flags) with flags 1 transA, 2 transB, 4 accumulate. */
export function emitMatmul(mod: ModuleBuilder, pack: GemmHelpers): void {
  mod.func('matmul', { a: 'i32', b: 'i32', out: 'i32', m: 'i32', k: 'i32', n: 'i32', flags: 'i32' }, null, (f) => {
    const { a, b, out, m, k, n, flags } = f.params;
    const transA = f.local('i32');
    const transB = f.local('i32');
    const accumulate = f.local('i32');
    const bit = (mask: number): I32 => f.i32.ne(f.i32.and(f.get(flags), f.i32.const(mask)), f.i32.const(0));
    f.set(transA, bit(1));
    f.set(transB, bit(2));
    f.set(accumulate, bit(4));
    emitGemm(f, { a, b, out, m, k, n, transA, transB, accumulate }, pack);
  });
}
