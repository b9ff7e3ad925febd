/**
 * The Dense layer's three passes, each one call (the GEMM with a fused epilogue):
 * - linear_forward: out = act(x W + bias), W (k, n);
 * - linear_param_grads: dW (+)= x^T g and db (+)= column sums of g;
 * - linear_input_grad: out = (g W^T) * act'(yPrev), the previous layer's pre-activation gradient
 *   computed from its stored output yPrev (act identity, or yPrev 0, gives g W^T alone).
 * Elementwise epilogues run per finished MR-row block while it is in L1; softmax (which needs
 * whole rows) runs as one pass after the GEMM.
 */
import type { FunctionBuilder, I32, ModuleBuilder } from '../assembler.js';
import { ACTIVATION_CODES } from '../../kernel-codes.js';
import type { ActivationFunctions } from './activation.js';
import type { ElementwiseFunctions } from './elementwise.js';
import { emitGemm, type GemmHelpers } from './gemm.js';

export function emitLinear(mod: ModuleBuilder, gemm: GemmHelpers, act: ActivationFunctions, elementwise: ElementwiseFunctions): void {
  mod.func(
    'linear_forward',
    { x: 'i32', w: 'i32', bias: 'i32', out: 'i32', m: 'i32', k: 'i32', n: 'i32', act: 'i32', alpha: 'f32' },
    null,
    (f) => {
      const { x, w, bias, out, m, k, n, alpha } = f.params;
      const code = f.params.act;
      const { i32 } = f;
      const zero = f.local('i32');
      const blockEpilogue = f.local('i32');
      // The per-block epilogue is needed unless the activation is softmax (done after) or there is nothing to do.
      f.set(blockEpilogue, i32.and(i32.ne(f.get(code), i32.const(ACTIVATION_CODES.softmax)), i32.or(i32.ne(f.get(code), i32.const(ACTIVATION_CODES.identity)), i32.ne(f.get(bias), i32.const(0)))));
      emitGemm(f, { a: x, b: w, out, m, k, n, transA: zero, transB: zero, accumulate: zero }, gemm, (g, blk) => {
        g.if(g.get(blockEpilogue), () => {
          const biasAt = (): I32 => g.select(i32.add(g.get(bias), i32.shl(g.get(blk.j0), i32.const(2))), i32.const(0), g.get(bias));
          g.call(act.biasAct, g.get(blk.ptr), g.get(blk.ptr), i32.const(blk.rows), g.get(blk.cols), g.get(blk.rowStride), biasAt(), g.get(code), g.get(alpha));
        });
      });
      f.if(i32.eq(f.get(code), i32.const(ACTIVATION_CODES.softmax)), () => {
        f.call(act.biasAct, f.get(out), f.get(out), f.get(m), f.get(n), i32.shl(f.get(n), i32.const(2)), f.get(bias), f.get(code), f.get(alpha));
      });
    },
  );

  // dW (in, out) (+)= x^T (in, batch) g (batch, out); db (+)= column sums of g (db 0: none). flags: 1 accumulate.
  mod.func(
    'linear_param_grads',
    { x: 'i32', g: 'i32', dw: 'i32', db: 'i32', batch: 'i32', inFeatures: 'i32', outFeatures: 'i32', flags: 'i32' },
    null,
    (f) => {
      const { x, g, dw, db, batch, inFeatures, outFeatures, flags } = f.params;
      const { i32 } = f;
      const one = f.local('i32');
      const zero = f.local('i32');
      const accumulate = f.local('i32');
      f.set(one, i32.const(1));
      f.set(accumulate, i32.and(f.get(flags), i32.const(1)));
      emitGemm(f, { a: x, b: g, out: dw, m: inFeatures, k: batch, n: outFeatures, transA: one, transB: zero, accumulate }, gemm);
      f.if(i32.ne(f.get(db), i32.const(0)), () => {
        f.call(elementwise.columnSum, f.get(g), f.get(db), f.get(batch), f.get(outFeatures), f.get(accumulate));
      });
    },
  );

  // out (batch, in) = (g (batch, out) W^T) * act'(yPrev), W (in, out).
  mod.func(
    'linear_input_grad',
    { g: 'i32', w: 'i32', yPrev: 'i32', out: 'i32', batch: 'i32', outFeatures: 'i32', inFeatures: 'i32', act: 'i32', alpha: 'f32' },
    null,
    (f) => {
      const { g, w, yPrev, out, batch, outFeatures, inFeatures, alpha } = f.params;
      const code = f.params.act;
      const { i32 } = f;
      const one = f.local('i32');
      const zero = f.local('i32');
      const blockEpilogue = f.local('i32');
      f.set(one, i32.const(1));
      f.set(
        blockEpilogue,
        i32.and(
          i32.ne(f.get(yPrev), i32.const(0)),
          i32.and(i32.ne(f.get(code), i32.const(ACTIVATION_CODES.identity)), i32.ne(f.get(code), i32.const(ACTIVATION_CODES.softmax))),
        ),
      );
      emitGemm(f, { a: g, b: w, out, m: batch, k: outFeatures, n: inFeatures, transA: zero, transB: one, accumulate: zero }, gemm, (e: FunctionBuilder, blk) => {
        e.if(e.get(blockEpilogue), () => {
          // yPrev at the same (i, j0) as the block: + (i n + j0) * 4 bytes.
          const y = (): I32 => i32.add(e.get(yPrev), i32.shl(i32.add(i32.mul(e.get(blk.i), e.get(inFeatures)), e.get(blk.j0)), i32.const(2)));
          e.call(act.actBackward, y(), e.get(blk.ptr), e.get(blk.ptr), i32.const(blk.rows), e.get(blk.cols), e.get(blk.rowStride), e.get(code), e.get(alpha));
        });
      });
      f.if(i32.and(i32.ne(f.get(yPrev), i32.const(0)), i32.eq(f.get(code), i32.const(ACTIVATION_CODES.softmax))), () => {
        f.call(act.actBackward, f.get(yPrev), f.get(out), f.get(out), f.get(batch), f.get(inFeatures), i32.shl(f.get(inFeatures), i32.const(2)), f.get(code), f.get(alpha));
      });
    },
  );
}
